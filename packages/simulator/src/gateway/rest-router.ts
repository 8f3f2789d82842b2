import { restContexts } from "@ecom/sdk/contracts";
import { byPathSpecificity, type RestContextBinding, type RestOperationInfo } from "@ecom/sdk/runtime/v1";

/** A matched REST operation: its context, contract binding and the path parameters. */
export interface RouteMatch {
  readonly context: string;
  readonly binding: RestContextBinding;
  readonly operation: RestOperationInfo;
  readonly path: Record<string, string>;
}

interface CompiledRoute {
  readonly context: string;
  readonly binding: RestContextBinding;
  readonly operation: RestOperationInfo;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** The outcome of routing: a match, a path with other methods (405), or nothing (404). */
export type RouteResult =
  | { readonly kind: "match"; readonly match: RouteMatch }
  | { readonly kind: "method"; readonly allowed: readonly string[] }
  | { readonly kind: "none" };

/**
 * Routes requests to the REST operations of every context's contract, built once from the generated operation
 * list: literal segments win over parameters (`/customers/me` before `/customers/{customerId}`).
 */
export class RestRouter {
  readonly #routes: CompiledRoute[];

  constructor(bindings: Readonly<Record<string, RestContextBinding>> = restContexts) {
    const entries = Object.entries(bindings).flatMap(([context, binding]) =>
      binding.operations.map((operation) => ({ context, binding, operation })),
    );
    entries.sort((a, b) => byPathSpecificity(a.operation, b.operation));
    this.#routes = entries.map(({ context, binding, operation }) => {
      const names: string[] = [];
      const source = operation.path
        .replace(/[.*+?^$()|[\]\\]/g, "\\$&")
        .replace(/\\?\{([^}]+)\\?\}/g, (_match, name: string) => {
          names.push(name);
          return "([^/]+)";
        });
      return { context, binding, operation, pattern: new RegExp(`^${source}$`), names };
    });
  }

  /** Every operation, for listings. */
  get operations(): readonly { context: string; operation: RestOperationInfo }[] {
    return this.#routes;
  }

  route(method: string, pathname: string): RouteResult {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const found = route.pattern.exec(pathname);
      if (!found) continue;
      if (route.operation.method !== method) {
        if (!allowed.includes(route.operation.method)) allowed.push(route.operation.method);
        continue;
      }
      const path: Record<string, string> = {};
      try {
        route.names.forEach((name, index) => {
          path[name] = decodeURIComponent(found[index + 1] ?? "");
        });
      } catch {
        // A malformed percent-escape: keep the raw text, which the contract's validators then refuse with a 400.
        route.names.forEach((name, index) => {
          path[name] = found[index + 1] ?? "";
        });
      }
      return {
        kind: "match",
        match: { context: route.context, binding: route.binding, operation: route.operation, path },
      };
    }
    return allowed.length > 0 ? { kind: "method", allowed } : { kind: "none" };
  }
}
