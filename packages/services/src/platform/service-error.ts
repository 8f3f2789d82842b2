/**
 * The closed set of error codes a context answers with. Each maps to one HTTP status and problem `type`
 * (`https://ecom.dev/problems/<code>`) and one Connect code, so REST and RPC callers see the same failure.
 */
export const ServiceErrorCode = {
  validation: "validation",
  unauthenticated: "unauthenticated",
  forbidden: "forbidden",
  notFound: "not_found",
  conflict: "conflict",
  unprocessable: "unprocessable",
  idempotencyKeyReused: "idempotency_key_reused",
  rateLimited: "rate_limited",
  unavailable: "unavailable",
  notImplemented: "not_implemented",
  internal: "internal",
} as const;

/** One of {@link ServiceErrorCode}'s values. */
export type ServiceErrorCode = (typeof ServiceErrorCode)[keyof typeof ServiceErrorCode];

/** The HTTP status of each code. */
export const HTTP_STATUS: Readonly<Record<ServiceErrorCode, number>> = {
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unprocessable: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  unavailable: 503,
  not_implemented: 501,
  internal: 500,
};

/** The human title of each code, for problem+json `title`. */
export const TITLES: Readonly<Record<ServiceErrorCode, string>> = {
  validation: "The request does not match the contract",
  unauthenticated: "Authentication required",
  forbidden: "Not allowed",
  not_found: "Not found",
  conflict: "The resource's state does not allow this",
  unprocessable: "Refused by a business rule",
  idempotency_key_reused: "Idempotency-Key reused with a different body",
  rate_limited: "Too many requests",
  unavailable: "Temporarily unavailable",
  not_implemented: "Not implemented yet",
  internal: "Internal error",
};

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
