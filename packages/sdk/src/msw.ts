import { type HttpHandler, HttpResponse, http } from "msw";
import { restContexts } from "./gen/rest/index.js";
import { byPathSpecificity, validateRequest, validationProblem } from "./runtime/v1/request-validation.js";
import type { RestContextBinding, RestOperationInfo } from "./runtime/v1/rest-operation.js";

/** Options of {@link createMockHandlers}. */
export interface MockHandlerOptions {
  /** The base URL the client under test calls, e.g. `http://localhost:4000`. */
  readonly baseUrl: string;
  /** Only these contexts' operations; default all. */
  readonly contexts?: readonly string[];
}

const unauthenticated = {
  type: "https://ecom.dev/problems/unauthenticated",
  title: "Authentication required",
  status: 401,
  code: "unauthenticated",
  detail: "Send a bearer token from POST /auth/login in the Authorization header.",
};

function respond(operation: RestOperationInfo): Response {
  const success = operation.responses.find((response) => /^2\d\d$/.test(response.status));
  if (!success) return new HttpResponse(null, { status: 204 });
  const status = Number(success.status);
  if (success.example === undefined) return new HttpResponse(null, { status });
  return HttpResponse.json(success.example as never, {
    status,
    headers: success.contentType ? { "content-type": success.contentType } : {},
  });
}

function handlerFor(baseUrl: string, binding: RestContextBinding, operation: RestOperationInfo): HttpHandler {
  const route = `${baseUrl}${operation.path.replace(/\{([^}]+)\}/g, ":$1")}`;
  const method = operation.method.toLowerCase() as "get" | "post" | "put" | "patch" | "delete" | "options" | "head";
  return http[method](route, async ({ request, params }) => {
    const url = new URL(request.url);
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = values.length > 1 ? values : (values[0] ?? "");
    }
    const header: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      header[name.toLowerCase()] = value;
    });
    if (operation.requiresAuth && !/^Bearer \S+/.test(header.authorization ?? "")) {
      return HttpResponse.json(unauthenticated, {
        status: 401,
        headers: { "content-type": "application/problem+json" },
      });
    }
    const text = await request.text();
    let body: unknown;
    if (text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        const problem = validationProblem(operation, [{ pointer: "/body", message: "is not valid JSON" }]);
        return HttpResponse.json(problem, { status: 400, headers: { "content-type": "application/problem+json" } });
      }
    }
    const path = Object.fromEntries(Object.entries(params).map(([name, value]) => [name, String(value)]));
    const validators = binding.validators ?? (await binding.loadValidators());
    const issues = validateRequest(validators, operation, { path, query, header, body });
    if (issues.length > 0) {
      return HttpResponse.json(validationProblem(operation, issues), {
        status: 400,
        headers: { "content-type": "application/problem+json" },
      });
    }
    return respond(operation);
  });
}

/**
 * MSW request handlers for every REST operation of the contracts, answering with the contract's examples, so an
 * integrator can test against the platform with no server. Each handler checks the request against the contract
 * first (auth, parameters, body) and answers 400 with a problem+json body naming every mismatch.
 */
export function createMockHandlers(options: MockHandlerOptions): HttpHandler[] {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const wanted = options.contexts ? new Set(options.contexts) : undefined;
  const entries = Object.entries(restContexts)
    .filter(([context]) => !wanted || wanted.has(context))
    .flatMap(([, binding]) => binding.operations.map((operation) => ({ binding, operation })));
  entries.sort((a, b) => byPathSpecificity(a.operation, b.operation));
  return entries.map(({ binding, operation }) => handlerFor(baseUrl, binding, operation));
}
