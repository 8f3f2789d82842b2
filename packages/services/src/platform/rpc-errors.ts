import { Code, ConnectError } from "@connectrpc/connect";
import { isServiceError, type ServiceErrorCode } from "./service-error.js";

/** The Connect code of each ServiceError code, so an RPC fails as its REST twin does. */
const CONNECT_CODE: Readonly<Record<ServiceErrorCode, Code>> = {
  validation: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  forbidden: Code.PermissionDenied,
  not_found: Code.NotFound,
  conflict: Code.FailedPrecondition,
  unprocessable: Code.FailedPrecondition,
  idempotency_key_reused: Code.AlreadyExists,
  rate_limited: Code.ResourceExhausted,
  unavailable: Code.Unavailable,
  not_implemented: Code.Unimplemented,
  internal: Code.Internal,
};

/**
 * Run an RPC's work, answering a ServiceError (thrown by the rules it shares with REST) as the ConnectError of the
 * same meaning; anything else passes through.
 */
export async function answeringRpc<TResult>(work: () => Promise<TResult>): Promise<TResult> {
  try {
    return await work();
  } catch (error) {
    if (isServiceError(error))
      throw new ConnectError(error.message, CONNECT_CODE[error.code], undefined, undefined, error);
    throw error;
  }
}
