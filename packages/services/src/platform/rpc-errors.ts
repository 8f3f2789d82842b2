import { ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { CONNECT_CODE, isServiceError, type ServiceError } from "./service-error.js";

/**
 * The Connect error a ServiceError is on the wire: the code from its ERROR_WIRE row (the same row that gives its
 * HTTP status), its message, and the ServiceError as cause.
 */
export function toConnectError(error: ServiceError): ConnectError {
  return new ConnectError(error.message, CONNECT_CODE[error.code], undefined, undefined, error);
}

function mapped(error: unknown): unknown {
  return isServiceError(error) ? toConnectError(error) : error;
}

async function* mappedStream<TMessage>(messages: AsyncIterable<TMessage>): AsyncIterable<TMessage> {
  try {
    yield* messages;
  } catch (error) {
    throw mapped(error);
  }
}

/**
 * The one place a context's RPC failures become Connect codes. Handlers (and the interceptors inside this one)
 * throw ServiceErrors, as their REST twins do; this router interceptor answers each with the Connect code of the
 * error table, so an RPC fails exactly as the same failure does over HTTP. Anything else passes through unchanged
 * (connect-es answers a stray exception as `unknown`). Put it first in a router's interceptors so it wraps them all.
 */
export const serviceErrorsAsConnect: Interceptor = (next) => async (request) => {
  let response: Awaited<ReturnType<typeof next>>;
  try {
    response = await next(request);
  } catch (error) {
    throw mapped(error);
  }
  if (!response.stream) return response;
  // A streaming answer fails while it is read, after the handler returned: map those failures too.
  return { ...response, message: mappedStream(response.message) } as StreamResponse;
};
