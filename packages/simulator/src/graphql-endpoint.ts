import type { GraphqlPart, GraphqlResolvers, Logger } from "@ecom/services/platform";
import { HTTP_STATUS, isServiceError, ServiceError } from "@ecom/services/platform";
import { GraphQLError } from "graphql";
import { createSchema, createYoga, type Plugin } from "graphql-yoga";
import type { GatewayRequest, GatewayResponse } from "./gateway/rest-gateway.js";
import { type GraphqlLimits, queryLimitsRule } from "./graphql-limits.js";
import { GRAPHQL_PATH } from "./lazy-graphql-endpoint.js";

export { GRAPHQL_PATH };

/** A context that serves part of the GraphQL schema. */
export interface GraphqlContext {
  readonly name: string;
  readonly graphql: GraphqlPart;
}

/** What one request's resolvers are looked up in: each context's, made on first use within the request. */
interface RequestState {
  readonly resolvers: Map<string, GraphqlResolvers>;
}

/** The GraphQL error of a ServiceError: its message and stable code, as REST's problem `code` and Connect's code. */
function serviceGraphqlError(error: GraphQLError): GraphQLError | undefined {
  const original = error.originalError;
  if (!isServiceError(original)) return undefined;
  return new GraphQLError(original.message, {
    ...(error.nodes ? { nodes: error.nodes } : {}),
    ...(error.path ? { path: error.path } : {}),
    extensions: { code: original.code },
  });
}

/**
 * Serve the contexts' GraphQL contracts at {@link GRAPHQL_PATH} with graphql-yoga: one schema from every context's
 * SDL, each field answered by its context's resolvers for the request (so their batching loaders live exactly as
 * long as it). Queries only read; a query the limits refuse, a bad query or a resolver's ServiceError is a GraphQL
 * error (with `extensions.code`), and anything unexpected is logged and masked, never a 500 that leaks internals.
 * Returns undefined when no context serves GraphQL.
 */
export function createGraphqlEndpoint(options: {
  readonly contexts: readonly GraphqlContext[];
  readonly limits: GraphqlLimits;
  readonly log: Logger;
  /**
   * Checks the request's Authorization header, throwing a ServiceError for a bad token: every query is public, but a
   * token that is sent must be valid, as on every other protocol of the port.
   */
  readonly checkToken: (authorization: string | undefined) => void;
}): ((request: GatewayRequest) => Promise<GatewayResponse>) | undefined {
  const { contexts, limits, log, checkToken } = options;
  if (contexts.length === 0) return undefined;
  // The resolvers' shape (types and fields) is the same on every call, so one call tells which fields to route.
  type RoutedResolver = (parent: unknown, args: Readonly<Record<string, unknown>>, state: RequestState) => unknown;
  const resolvers: Record<string, Record<string, RoutedResolver>> = {};
  for (const context of contexts) {
    for (const [typeName, fields] of Object.entries(context.graphql.forRequest())) {
      const routed = resolvers[typeName] ?? {};
      resolvers[typeName] = routed;
      for (const fieldName of Object.keys(fields)) {
        routed[fieldName] = (parent: unknown, args: Readonly<Record<string, unknown>>, state: RequestState) => {
          let own = state.resolvers.get(context.name);
          if (!own) {
            own = context.graphql.forRequest();
            state.resolvers.set(context.name, own);
          }
          const resolve = own[typeName]?.[fieldName];
          if (!resolve) throw new Error(`${context.name} stopped resolving ${typeName}.${fieldName}`);
          return resolve(parent, args);
        };
      }
    }
  }
  // A query that does not parse or validate is the platform's `validation` error, as a bad REST request is; yoga
  // marks it GRAPHQL_PARSE_FAILED / GRAPHQL_VALIDATION_FAILED only where no code is set yet.
  const asValidation = (error: unknown) => {
    if (error instanceof Error && "extensions" in error && typeof error.extensions === "object" && error.extensions)
      (error.extensions as Record<string, unknown>).code = "validation";
  };
  const requestChecks: Plugin = {
    onParse() {
      return ({ result }) => asValidation(result);
    },
    onValidate({ addValidationRule }) {
      addValidationRule(queryLimitsRule(limits));
      return ({ valid, result }) => {
        if (!valid) for (const error of result) asValidation(error);
      };
    },
  };
  const yoga = createYoga<object, RequestState>({
    schema: createSchema({ typeDefs: contexts.map((context) => context.graphql.schema), resolvers }),
    graphqlEndpoint: GRAPHQL_PATH,
    context: () => ({ resolvers: new Map() }),
    plugins: [requestChecks],
    // GraphiQL and the landing page load their scripts from a CDN: not served, so nothing depends on the network.
    graphiql: false,
    landingPage: false,
    logging: false,
    maskedErrors: {
      maskError(error) {
        if (error instanceof GraphQLError) {
          const known = serviceGraphqlError(error);
          if (known) return known;
          if (!error.originalError) return error;
        }
        log.error("GraphQL resolver failed", { error: String(error) });
        return new GraphQLError("Unexpected error.", { extensions: { code: "internal" } });
      },
    },
  });
  return async (request) => {
    try {
      checkToken(request.headers.authorization);
    } catch (error) {
      const refused = ServiceError.from(error);
      return {
        status: HTTP_STATUS[refused.code],
        headers: { "content-type": "application/graphql-response+json; charset=utf-8" },
        body: JSON.stringify({ errors: [{ message: refused.message, extensions: { code: refused.code } }] }),
      };
    }
    if (request.method === "GET" && !new URL(request.url, "http://gateway.invalid").searchParams.has("query")) {
      // A browser's visit: no GraphiQL is served (it loads from a CDN), so say how to ask instead of a bare 406.
      return {
        status: 400,
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify({
          errors: [
            {
              message: `Send a query: POST ${GRAPHQL_PATH} with {"query": "{ products { title } }"}, or GET ${GRAPHQL_PATH}?query=…; the schema is contracts/graphql/search.graphql.`,
              extensions: { code: "validation" },
            },
          ],
        }),
      };
    }
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const response = await yoga.fetch(`http://gateway.invalid${request.url}`, {
      method: request.method,
      headers: request.headers,
      ...(hasBody ? { body: request.body } : {}),
    });
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return { status: response.status, headers, body: await response.text() };
  };
}
