import { createHash } from "node:crypto";

/** A list's position: the last item's sort key. */
export type CursorPosition = Readonly<Record<string, string | number>>;

/** A short digest of a list's filters, so a cursor is refused when it is sent back with other filters. */
function fingerprint(filters: Readonly<Record<string, unknown>>): string {
  const canonical = JSON.stringify(
    Object.keys(filters)
      .sort()
      .map((key) => [key, filters[key] ?? null]),
  );
  return createHash("sha256").update(canonical).digest("base64url").slice(0, 8);
}

/**
 * An opaque cursor (base64url JSON) holding the last item's sort key and the filters' digest. It encodes a position,
 * not an offset, so items added while a client pages neither repeat nor go missing.
 */
export function encodeCursor(position: CursorPosition, filters: Readonly<Record<string, unknown>>): string {
  return Buffer.from(JSON.stringify({ ...position, f: fingerprint(filters) })).toString("base64url");
}

/**
 * The position in a cursor from {@link encodeCursor}, or undefined when the text is not such a cursor or was made
 * for other filters (the caller answers that as its layer's invalid-argument error).
 */
export function decodeCursor<TPosition extends CursorPosition>(
  cursor: string,
  filters: Readonly<Record<string, unknown>>,
  isPosition: (value: Record<string, unknown>) => value is TPosition,
): TPosition | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (record.f !== fingerprint(filters) || !isPosition(record)) return undefined;
  return record;
}
