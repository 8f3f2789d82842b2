import { ConnectError } from "@connectrpc/connect";
// The one ServiceError → Connect code table (ERROR_WIRE), so an RPC fails as its REST twin does.
import { CONNECT_CODE, isServiceError } from "./service-error.js";

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
