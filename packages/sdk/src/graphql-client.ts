import type { GraphqlDocument } from "./runtime/v1/graphql-document.js";

/** One error of a GraphQL response; `extensions.code` is the platform's stable code (`validation`, `internal`, …). */
export interface GraphqlError {
  readonly message: string;
  readonly path?: readonly (string | number)[];
  readonly extensions?: { readonly code?: string } & Readonly<Record<string, unknown>>;
}

/** Where and how to send GraphQL requests. */
export interface GraphqlClientOptions {
  /** The platform's URL, e.g. `http://localhost:4000`; requests go to `<baseUrl>/graphql`. */
  readonly baseUrl: string;
  /** The fetch to send requests with (the simulator's in-process one in tests). Default: the global fetch. */
  readonly fetch?: (request: Request) => Promise<Response>;
}

/** A client of the platform's GraphQL endpoint, typed by the generated documents (`graphql.search.…`). */
export interface GraphqlClient {
  /**
   * Run a generated query. Resolves to `{ data }`, or to `{ error }` with the response's GraphQL errors when it has
   * any (a refused or invalid query, a field that failed); never throws for them.
   */
  query<TResult, TVariables>(
    document: GraphqlDocument<TResult, TVariables>,
    variables: TVariables,
  ): Promise<{ data: TResult; error?: never } | { data?: never; error: readonly GraphqlError[] }>;
}

/** Create a {@link GraphqlClient} for the platform at `options.baseUrl`. */
export function createGraphqlClient(options: GraphqlClientOptions): GraphqlClient {
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const url = `${options.baseUrl.replace(/\/+$/, "")}/graphql`;
  return {
    async query<TResult, TVariables>(document: GraphqlDocument<TResult, TVariables>, variables: TVariables) {
      const response = await send(
        new Request(url, {
          method: "POST",
          headers: { "content-type": "application/json", accept: "application/graphql-response+json" },
          body: JSON.stringify({ query: document.query, operationName: document.operationName, variables }),
        }),
      );
      const text = await response.text();
      let body: { data?: unknown; errors?: readonly GraphqlError[] };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        return {
          error: [{ message: `HTTP ${response.status}: the answer is not JSON`, extensions: { code: "malformed" } }],
        };
      }
      if (body.errors && body.errors.length > 0) return { error: body.errors };
      // The server executed the generated document against the schema it was generated from: `data` has its shape.
      return { data: body.data as TResult };
    },
  };
}
