import type { GatewayRequest, GatewayResponse } from "./gateway/rest-gateway.js";
import type { createGraphqlEndpoint } from "./graphql-endpoint.js";

/** The path GraphQL is served at on the one port. */
export const GRAPHQL_PATH = "/graphql";

type GraphqlHandler = (request: GatewayRequest) => Promise<GatewayResponse>;

/**
 * {@link createGraphqlEndpoint} with the default query limits, built on the first GraphQL request: graphql-js,
 * graphql-yoga and their dependencies are about a third of the modules a start would otherwise load before it
 * answers /healthz. Undefined when no context serves GraphQL.
 */
export function createLazyGraphqlEndpoint(
  options: Omit<Parameters<typeof createGraphqlEndpoint>[0], "limits">,
): GraphqlHandler | undefined {
  if (options.contexts.length === 0) return undefined;
  let endpoint: Promise<GraphqlHandler | undefined> | undefined;
  return async (request) => {
    endpoint ??= Promise.all([import("./graphql-endpoint.js"), import("./graphql-limits.js")]).then(
      ([{ createGraphqlEndpoint }, { DEFAULT_GRAPHQL_LIMITS }]) =>
        createGraphqlEndpoint({ ...options, limits: DEFAULT_GRAPHQL_LIMITS }),
    );
    const handle = await endpoint;
    if (!handle) throw new Error("no context serves GraphQL");
    return handle(request);
  };
}
