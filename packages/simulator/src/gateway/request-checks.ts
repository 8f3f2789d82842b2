import { ServiceError } from "@ecom/services/platform";

/**
 * A request target whose path has dot segments (`.`, `..`, also percent-encoded) or an encoded slash or backslash:
 * 400, never normalised into another route (`/carts/x/../../_sim/log` must not reach `/_sim/log`).
 */
export function pathProblem(url: string): ServiceError | undefined {
  const path = url.split(/[?#]/, 1)[0] ?? "";
  // Most paths have none of the characters a trick needs; they pass on one scan.
  if (!/[%.\\]/.test(path)) return undefined;
  if (/%(2f|5c)/i.test(path))
    return new ServiceError("validation", "The path has an encoded slash (%2F or %5C); send each segment as it is.");
  const segments = path.split("/").map((segment) => segment.replace(/%2e/gi, "."));
  if (segments.some((segment) => segment === "." || segment === ".."))
    return new ServiceError("validation", "The path has a dot segment (. or ..); send the path the operation names.");
  if (path.includes("\\")) return new ServiceError("validation", "The path has a backslash; paths use / only.");
  return undefined;
}

/** Whether a Content-Type header names JSON (`application/json`, `application/*+json`, with parameters). */
export function isJsonMediaType(contentType: string | undefined): boolean {
  // What clients send almost always: no need to take it apart.
  if (contentType === "application/json") return true;
  const essence = contentType?.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return essence === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(essence);
}

/** A body sent to a JSON endpoint without a JSON Content-Type: 415. */
export function mediaTypeProblem(contentType: string | undefined, body: string): ServiceError | undefined {
  if (body === "" || isJsonMediaType(contentType)) return undefined;
  return new ServiceError(
    "unsupported_media_type",
    contentType === undefined
      ? "The body has no Content-Type; send it as application/json."
      : `The body is ${contentType.split(";", 1)[0]}; send it as application/json.`,
  );
}

/** The JSON pointer of the first number that is not finite (`1e400` parses as Infinity), or undefined. */
export function nonFiniteNumberAt(value: unknown): string | undefined {
  // Most bodies have none: they are walked once without making a pointer for every member on the way.
  return holdsNonFinite(value) ? pointerOfNonFinite(value, "") : undefined;
}

function holdsNonFinite(value: unknown): boolean {
  if (typeof value === "number") return !Number.isFinite(value);
  if (value === null || typeof value !== "object") return false;
  if (Array.isArray(value)) {
    for (const item of value) if (holdsNonFinite(item)) return true;
    return false;
  }
  for (const key in value) if (holdsNonFinite((value as Record<string, unknown>)[key])) return true;
  return false;
}

function pointerOfNonFinite(value: unknown, pointer: string): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : pointer || "/";
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = pointerOfNonFinite(item, `${pointer}/${index}`);
      if (found !== undefined) return found;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      const found = pointerOfNonFinite(item, `${pointer}/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
