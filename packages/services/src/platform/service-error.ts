import { Code } from "@connectrpc/connect";

/**
 * The closed set of error codes a context answers with. Each maps to one HTTP status and problem `type`
 * (`https://ecom.dev/problems/<code>`) and one Connect code ({@link ERROR_WIRE}), so REST and RPC callers see the
 * same failure.
 */
export const ServiceErrorCode = {
  validation: "validation",
  unauthenticated: "unauthenticated",
  forbidden: "forbidden",
  notFound: "not_found",
  methodNotAllowed: "method_not_allowed",
  conflict: "conflict",
  payloadTooLarge: "payload_too_large",
  unsupportedMediaType: "unsupported_media_type",
  unprocessable: "unprocessable",
  idempotencyKeyReused: "idempotency_key_reused",
  upgradeRequired: "upgrade_required",
  rateLimited: "rate_limited",
  unavailable: "unavailable",
  notImplemented: "not_implemented",
  internal: "internal",
} as const;

/** One of {@link ServiceErrorCode}'s values. */
export type ServiceErrorCode = (typeof ServiceErrorCode)[keyof typeof ServiceErrorCode];

/**
 * The one table every layer maps errors with: each code's HTTP status (problem+json `status` and the response's),
 * Connect code (Connect, gRPC and gRPC-web) and human title (problem+json `title`).
 */
export const ERROR_WIRE: Readonly<
  Record<ServiceErrorCode, { readonly status: number; readonly connect: Code; readonly title: string }>
> = {
  validation: { status: 400, connect: Code.InvalidArgument, title: "The request does not match the contract" },
  unauthenticated: { status: 401, connect: Code.Unauthenticated, title: "Authentication required" },
  forbidden: { status: 403, connect: Code.PermissionDenied, title: "Not allowed" },
  not_found: { status: 404, connect: Code.NotFound, title: "Not found" },
  method_not_allowed: { status: 405, connect: Code.Unimplemented, title: "Method not allowed" },
  conflict: { status: 409, connect: Code.FailedPrecondition, title: "The resource's state does not allow this" },
  payload_too_large: { status: 413, connect: Code.ResourceExhausted, title: "The body is too large" },
  unsupported_media_type: { status: 415, connect: Code.InvalidArgument, title: "Unsupported media type" },
  unprocessable: { status: 422, connect: Code.FailedPrecondition, title: "Refused by a business rule" },
  idempotency_key_reused: {
    status: 422,
    connect: Code.AlreadyExists,
    title: "Idempotency-Key reused with a different body",
  },
  upgrade_required: { status: 426, connect: Code.FailedPrecondition, title: "WebSocket upgrade required" },
  rate_limited: { status: 429, connect: Code.ResourceExhausted, title: "Too many requests" },
  unavailable: { status: 503, connect: Code.Unavailable, title: "Temporarily unavailable" },
  not_implemented: { status: 501, connect: Code.Unimplemented, title: "Not implemented yet" },
  internal: { status: 500, connect: Code.Internal, title: "Internal error" },
};

const column = <TKey extends "status" | "connect" | "title">(key: TKey) =>
  Object.fromEntries(Object.entries(ERROR_WIRE).map(([code, wire]) => [code, wire[key]])) as Readonly<
    Record<ServiceErrorCode, (typeof ERROR_WIRE)[ServiceErrorCode][TKey]>
  >;

/** The HTTP status of each code (a column of {@link ERROR_WIRE}). */
export const HTTP_STATUS = column("status");

/** The Connect code of each code (a column of {@link ERROR_WIRE}). */
export const CONNECT_CODE = column("connect");

/** The human title of each code, for problem+json `title` (a column of {@link ERROR_WIRE}). */
export const TITLES = column("title");

/** An expected failure of a context's operation: a stable code, a message that says what to do, optional details. */
export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly details: {
      readonly errors?: readonly { pointer: string; message: string }[];
      readonly retryAfterSeconds?: number;
      /**
       * A more specific problem the contract documents (`email_taken`, `insufficient_funds`): it becomes the problem's
       * `type` and `code`, while the status still follows `code`. Snake case, stable once published.
       */
      readonly problem?: string;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Normalise anything thrown: a ServiceError stays as it is; anything else is `internal`, kept as `cause`. */
  static from(error: unknown): ServiceError {
    if (isServiceError(error)) return error;
    return new ServiceError("internal", error instanceof Error ? error.message : String(error), {}, { cause: error });
  }
}

/** True for a {@link ServiceError}, also one from another copy of this package (checks `name`, not the class). */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && error.name === "ServiceError" && typeof (error as ServiceError).code === "string";
}

/** Shorthands for the common failures. */
export const fail = {
  notFound: (what: string) => new ServiceError("not_found", `No ${what}.`),
  forbidden: (message: string) => new ServiceError("forbidden", message),
  conflict: (message: string) => new ServiceError("conflict", message),
  unprocessable: (message: string) => new ServiceError("unprocessable", message),
  validation: (pointer: string, message: string) =>
    new ServiceError("validation", `${pointer} ${message}`, { errors: [{ pointer, message }] }),
  unavailable: (message: string, retryAfterSeconds?: number) =>
    new ServiceError("unavailable", message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
};
