/** The stable codes of errors the SDK itself reports (not API problems, which carry their own `type`). */
export const SdkErrorCode = {
  /** A message is not valid JSON or not an object. */
  malformed: "malformed",
  /** A message's envelope does not match the contract. */
  invalidEnvelope: "invalid_envelope",
  /** A message's `eventType` is not one the contracts define. */
  unknownType: "unknown_type",
  /** A message's payload does not match its type's schema. */
  invalidPayload: "invalid_payload",
  /** A webhook lacks a signature header, or it is malformed. */
  missingSignature: "missing_signature",
  /** A webhook's signature does not match its body. */
  badSignature: "bad_signature",
  /** A webhook's timestamp is too old or too far in the future (a replay, or a skewed clock). */
  staleTimestamp: "stale_timestamp",
  /** A CloudEvent does not carry what an ecom envelope needs. */
  invalidCloudEvent: "invalid_cloud_event",
} as const;

/** One of {@link SdkErrorCode}'s values. */
export type SdkErrorCode = (typeof SdkErrorCode)[keyof typeof SdkErrorCode];

/** An error the SDK reports as a value: a stable code, a message that says what to do, and details. */
export class SdkError extends Error {
  override name = "SdkError";
  constructor(
    readonly code: SdkErrorCode,
    message: string,
    readonly issues: readonly { readonly pointer: string; readonly message: string }[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Normalise anything thrown into an SdkError with `code`, keeping it as `cause`. */
  static from(error: unknown, code: SdkErrorCode): SdkError {
    if (isSdkError(error)) return error;
    return new SdkError(code, error instanceof Error ? error.message : String(error), [], { cause: error });
  }
}

/** True for an {@link SdkError}, also one from another copy of this package (it checks `name`, not the class). */
export function isSdkError(error: unknown): error is SdkError {
  return error instanceof Error && error.name === "SdkError" && typeof (error as SdkError).code === "string";
}

/** A result as the SDK returns expected failures: data or an error, never both (as openapi-fetch does). */
export type Result<TData, TError = SdkError> = { data: TData; error?: never } | { data?: never; error: TError };
