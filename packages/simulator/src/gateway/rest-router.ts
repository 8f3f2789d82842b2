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
 * list: literal segments win over parameters (`/customers/me` before `/customers/{customerId}`). Routes are kept
 * in buckets by segment count and first segment, so a request is matched against a handful of patterns, not all.
 */
export class RestRouter {
  readonly #bindings: Readonly<Record<string, RestContextBinding>>;
  readonly #routes: CompiledRoute[];
  readonly #buckets = new Map<string, CompiledRoute[]>();

  constructor(bindings: Readonly<Record<string, RestContextBinding>> = restContexts) {
    this.#bindings = bindings;
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
    // A route whose first segment is a parameter could match any first segment: it joins every bucket of its
    // length (and a bucket of its own for first segments no literal route has), keeping the specificity order.
    const keyOf = (path: string) => {
      const segments = path.split("/");
      return { count: segments.length, first: segments[1] ?? "" };
    };
    const wildcards = this.#routes.filter((route) => keyOf(route.operation.path).first.startsWith("{"));
    for (const route of this.#routes) {
      const { count, first } = keyOf(route.operation.path);
      const key = `${count} ${first.startsWith("{") ? "*" : first}`;
      const bucket = this.#buckets.get(key) ?? [];
      bucket.push(route);
      this.#buckets.set(key, bucket);
    }
    for (const [key, bucket] of this.#buckets) {
      const count = Number(key.split(" ", 1)[0]);
      const extra = wildcards.filter((route) => keyOf(route.operation.path).count === count && !bucket.includes(route));
      if (extra.length > 0)
        this.#buckets.set(
          key,
          [...bucket, ...extra].sort((a, b) => this.#routes.indexOf(a) - this.#routes.indexOf(b)),
        );
    }
  }

  /** A router of the operations `keep` picks: a quick first look for the few a request might be (streams, say). */
  only(keep: (context: string, operation: RestOperationInfo) => boolean): RestRouter {
    return new RestRouter(
      Object.fromEntries(
        Object.entries(this.#bindings).map(([context, binding]) => [
          context,
          { ...binding, operations: binding.operations.filter((operation) => keep(context, operation)) },
        ]),
      ),
    );
  }

  /** Every operation, for listings. */
  get operations(): readonly { context: string; operation: RestOperationInfo }[] {
    return this.#routes;
  }

  route(method: string, pathname: string): RouteResult {
    const allowed: string[] = [];
    const second = pathname.indexOf("/", 1);
    const first = pathname.slice(1, second === -1 ? undefined : second);
    let count = 1;
    for (let at = pathname.indexOf("/"); at !== -1; at = pathname.indexOf("/", at + 1)) count++;
    const candidates = this.#buckets.get(`${count} ${first}`) ?? this.#buckets.get(`${count} *`) ?? [];
    for (const route of candidates) {
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
