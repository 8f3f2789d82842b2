import type { HandlerContext } from "@connectrpc/connect";
import { restContexts } from "@ecom/sdk/contracts";
import { validateRequest, validationProblem } from "@ecom/sdk/runtime/v1";
import type { RestRequest, RestResult } from "./context-module.js";
import type { Ids } from "./ports.js";
import { principalOf } from "./rpc-caller.js";
import { ERROR_WIRE, ServiceError, type ServiceErrorCode } from "./service-error.js";

/** Which REST operation an RPC method answers with: the context's name and the operationId in its contract. */
export interface OperationRef {
  readonly context: string;
  readonly operationId: string;
}

/** A record's defined values as the strings a URL would carry, for the contract's parameter validators. */
function asParameterStrings(values: unknown): Record<string, string | string[]> {
  if (values === undefined || values === null) return {};
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Array.isArray(value) ? value.map(String) : String(value)]),
  );
}

/** Path parameters as strings (they are all strings or numbers in a URL). */
const asPathStrings = (values: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(asParameterStrings(values)).map(([name, value]) => [
      name,
      Array.isArray(value) ? value.join(",") : value,
    ]),
  );

/** A result with its body, per status (distributed over a union, so `status` still tells which body it is). */
type WithBody<TResult extends RestResult> = TResult extends RestResult
  ? TResult & { readonly body: NonNullable<TResult["body"]> }
  : never;

const hasBody = <TResult extends RestResult>(result: TResult): result is WithBody<TResult> & TResult =>
  result.body !== undefined;

const isProblem = (body: unknown): body is { readonly detail?: string; readonly code?: string } =>
  typeof body === "object" && body !== null && "type" in body && "status" in body;

/** The error code of an HTTP status (the first of the one table's rows with it; a 402 is a refused business rule). */
function codeOfStatus(status: number): ServiceErrorCode {
  const row = Object.entries(ERROR_WIRE).find(([, wire]) => wire.status === status);
  if (row) return row[0] as ServiceErrorCode;
  return status >= 500 ? "internal" : "unprocessable";
}

/**
 * Answer an RPC with the context's REST operation: the request is checked with the contract's generated validators,
 * as the gateway checks a REST request, then handled by the very handler REST uses, so both surfaces share every
 * rule (ownership, state checks, events) and answer alike. The caller is the RPC's (see {@link principalOf});
 * ServiceErrors (and problem answers, turned into them) reach the caller through the one error table.
 */
export async function answerWithOperation<TPath, TQuery, TBody, TResult extends RestResult>(
  operation: OperationRef,
  handler: ((request: RestRequest<TPath, TQuery, TBody>) => Promise<TResult>) | undefined,
  input: { readonly path: TPath; readonly query: TQuery; readonly body: TBody },
  call: { readonly context: HandlerContext; readonly ids: Ids },
): Promise<WithBody<TResult>> {
  const binding = restContexts[operation.context];
  const info = binding?.operations.find((candidate) => candidate.operationId === operation.operationId);
  if (!binding || !info || !handler)
    throw new ServiceError("not_implemented", `${operation.context} ${operation.operationId} has no handler.`);
  const issues = validateRequest(binding.validators ?? (await binding.loadValidators()), info, {
    path: asPathStrings(input.path),
    query: asParameterStrings(input.query),
    header: {},
    body: input.body,
  });
  if (issues.length > 0) {
    const problem = validationProblem(info, issues);
    throw new ServiceError("validation", problem.detail, { errors: problem.errors });
  }
  const result = await handler({
    path: input.path,
    query: input.query,
    body: input.body,
    headers: {},
    rawBody: input.body === undefined ? "" : JSON.stringify(input.body),
    principal: principalOf(call.context),
    correlationId: call.context.requestHeader.get("correlation-id") || call.ids.next("cor"),
  });
  // Some handlers answer a contract-specific problem (`checkout_failed`, `card_declined`) as a value.
  if (result.status >= 400 && isProblem(result.body))
    throw new ServiceError(codeOfStatus(result.status), result.body.detail ?? `Failed with ${result.status}.`, {
      ...(result.body.code ? { problem: result.body.code } : {}),
    });
  if (!hasBody(result))
    throw new ServiceError("internal", `${operation.operationId} answered ${result.status} without a body.`);
  return result;
}
