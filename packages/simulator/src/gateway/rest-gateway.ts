import { type RestOperationInfo, validateRequest, validateResponse, validationProblem } from "@ecom/sdk/runtime/v1";
import {
  type Ids,
  isServiceError,
  type Logger,
  type Principal,
  type RestRequest,
  type RestResult,
  ServiceError,
  type TokenService,
} from "@ecom/services/platform";
import { accessDenied, type Caller, callerOf } from "../access-policy.js";
import { problemResponse } from "../problem.js";
import { IdempotencyStore, type StoredResponse } from "./idempotency-store.js";
import { mediaTypeProblem, nonFiniteNumberAt } from "./request-checks.js";
import { parseQuery } from "./request-parts.js";
import type { RestRouter } from "./rest-router.js";

export { problemResponse } from "../problem.js";

/** A request as the gateway sees it, whatever carried it (node:http, fetch, a test). */
export interface GatewayRequest {
  readonly method: string;
  /** Path and query, e.g. `/carts?limit=5`. */
  readonly url: string;
  /** Header names lower-case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The client's address, when the request came over a socket (scopes anonymous Idempotency-Keys). */
  readonly remoteAddress?: string | undefined;
}

/** A response: status, headers and the body text. */
export interface GatewayResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A context's REST handlers, keyed by operationId. */
export type RestHandlerTable = Readonly<
  Record<string, ((request: RestRequest<never, never, never>) => Promise<RestResult>) | undefined>
>;

/** What the gateway needs. */
export interface RestGatewayOptions {
  readonly router: RestRouter;
  /** Handlers of each context that has any, by context name. */
  readonly handlers: ReadonlyMap<string, RestHandlerTable>;
  readonly tokens: TokenService;
  readonly idempotency: IdempotencyStore;
  readonly ids: Ids;
  readonly log: Logger;
  /** Check every response against the contract; a mismatch is a 500 naming the contract and field. */
  readonly validateResponses: boolean;
}

const MUTATIONS = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** The failures that changed nothing, so an Idempotency-Key is not held to them. */
const NOTHING_CHANGED: ReadonlySet<string> = new Set(["unavailable", "rate_limited", "not_found"]);

/** Whether each operation's contract takes an `Idempotency-Key` header, found at its first request. */
const takesIdempotencyKey = new WeakMap<RestOperationInfo, boolean>();

/** Whether the operation's contract takes an `Idempotency-Key` header. */
function declaresIdempotencyKey(operation: RestOperationInfo): boolean {
  let declared = takesIdempotencyKey.get(operation);
  if (declared === undefined) {
    declared =
      MUTATIONS.has(operation.method) &&
      operation.parameters.some(
        (parameter) => parameter.in === "header" && parameter.name.toLowerCase() === "idempotency-key",
      );
    takesIdempotencyKey.set(operation, declared);
  }
  return declared;
}

/**
 * The REST side of the one port: routes a request to its contract operation, checks it against the contract
 * (400 problem), authenticates (401), applies Idempotency-Key (replay, or 422 for a reused key), calls the owning
 * context's handler, maps failures to problem+json, and in development checks the response against the contract.
 */
export function createRestGateway(
  options: RestGatewayOptions,
): (request: GatewayRequest, url?: URL) => Promise<GatewayResponse> {
  const { router, handlers, tokens, idempotency, ids, log } = options;

  // `url`: the request's URL, when the caller parsed it already.
  return async (request, url = new URL(request.url, "http://gateway.invalid")) => {
    const correlationId = request.headers["correlation-id"] || ids.next("cor");
    const fail = (error: ServiceError) => problemResponse(error, url.pathname, correlationId);
    const routed = router.route(request.method, url.pathname);
    if (routed.kind === "none")
      return fail(
        new ServiceError(
          "not_found",
          `No operation at ${request.method} ${url.pathname}; see the contracts in contracts/openapi/.`,
        ),
      );
    if (routed.kind === "method") {
      const response = fail(
        new ServiceError(
          "method_not_allowed",
          `${url.pathname} does not take ${request.method}; it takes ${routed.allowed.join(", ")}.`,
        ),
      );
      return { ...response, headers: { ...response.headers, allow: routed.allowed.join(", ") } };
    }
    const { context, binding, operation, path } = routed.match;

    let caller: Caller;
    try {
      caller = callerOf(tokens, request.headers.authorization);
    } catch (error) {
      return fail(ServiceError.from(error));
    }
    const denied = accessDenied(operation.access, caller, `${request.method} ${operation.path}`);
    if (denied) return fail(denied);
    const principal: Principal | undefined = caller.kind === "principal" ? caller.principal : undefined;

    let body: unknown;
    if (request.body !== "") {
      const unsupported = mediaTypeProblem(request.headers["content-type"], request.body);
      if (unsupported) return fail(unsupported);
      try {
        body = JSON.parse(request.body);
      } catch {
        return fail(
          new ServiceError("validation", "The body is not valid JSON.", {
            errors: [{ pointer: "/body", message: "is not valid JSON" }],
          }),
        );
      }
      const infinite = nonFiniteNumberAt(body);
      if (infinite !== undefined)
        return fail(
          new ServiceError("validation", `The body has a number too large to represent at ${infinite}.`, {
            errors: [{ pointer: `/body${infinite === "/" ? "" : infinite}`, message: "is not a finite number" }],
          }),
        );
    }
    // Most requests have no query: their URL's searchParams object is then never made.
    const query = url.search === "" ? {} : parseQuery(url.searchParams);
    const parts = { path, query, header: { ...request.headers }, body };
    // The context's validators load with its first request (the start compiles none of them).
    const validators = binding.validators ?? (await binding.loadValidators());
    const issues = validateRequest(validators, operation, parts);
    if (issues.length > 0) {
      const problem = validationProblem(operation, issues);
      return fail(new ServiceError("validation", problem.detail, { errors: problem.errors }));
    }

    const handler = handlers.get(context)?.[operation.operationId];
    if (!handler) {
      return fail(
        new ServiceError(
          "not_implemented",
          `${operation.operationId} of the ${context} context is in the contract but not implemented by the simulator yet.`,
        ),
      );
    }

    // Only where the contract declares the header: elsewhere it is an undeclared header, ignored, never half-applied.
    const key = declaresIdempotencyKey(operation) ? request.headers["idempotency-key"] : undefined;
    // Scoped per caller: a customer's keys are theirs; anonymous callers are told apart by their address.
    const scope = principal ? `customer:${principal.customerId}` : `anonymous:${request.remoteAddress ?? "in-process"}`;
    const claim = key
      ? await idempotency.claim(
          `${scope}:${key}`,
          IdempotencyStore.request(request.method, url.pathname + url.search, request.body),
        )
      : undefined;
    if (claim?.kind === "mismatch") {
      return fail(
        new ServiceError(
          "idempotency_key_reused",
          `Idempotency-Key ${key} was used for a different request in the last 24 hours; send a new key for a new request.`,
        ),
      );
    }
    if (claim?.kind === "replay")
      return { ...claim.response, headers: { ...claim.response.headers, "idempotent-replayed": "true" } };

    let response: GatewayResponse;
    let replayable = true;
    try {
      const result = await handler({
        path: parts.path,
        query: parts.query,
        headers: request.headers,
        body: parts.body,
        rawBody: request.body,
        principal,
        correlationId,
      } as never);
      replayable = result.replayable ?? true;
      // Built in place rather than by spreads (a handler's own headers are rare): the same names in the same order.
      const headers: Record<string, string> = result.body === undefined ? {} : { "content-type": "application/json" };
      if (result.headers) Object.assign(headers, result.headers);
      headers["correlation-id"] = correlationId;
      response = {
        status: result.status,
        headers,
        body: result.body === undefined ? "" : JSON.stringify(result.body),
      };
      if (options.validateResponses) {
        const mismatches = validateResponse(validators, operation, result.status, result.body);
        if (mismatches.length > 0) {
          const where = mismatches.map((issue) => `${issue.pointer} ${issue.message}`).join("; ");
          log.error(`response of ${operation.operationId} breaks contracts/openapi/${context}.yaml`, {
            status: result.status,
            where,
          });
          response = fail(
            new ServiceError(
              "internal",
              `The simulator's response to ${operation.operationId} (${result.status}) does not match contracts/openapi/${context}.yaml: ${where}. This is a bug in the simulator.`,
            ),
          );
        }
      }
    } catch (error) {
      const serviceError = ServiceError.from(error);
      // Only a failure that says so changed nothing (the dependency was down, the caller is rate limited, what the
      // request acts on is not there — yet: POST /orders answers 404 until the checkout reaches order): those leave
      // the key free for the retry. Anything else may have committed before it failed, so it is stored.
      if (NOTHING_CHANGED.has(serviceError.code)) replayable = false;
      if (!isServiceError(error))
        log.error(`${operation.operationId} failed`, {
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        });
      response = fail(serviceError);
    }

    if (claim?.kind === "fresh") {
      // What the handler answered is stored even when it is a 500 (a response that broke the contract, say): the
      // work behind it may have committed, and a retry must not do it twice.
      if (!replayable) claim.abandon();
      else await claim.complete(response as StoredResponse);
    }
    return response;
  };
}
