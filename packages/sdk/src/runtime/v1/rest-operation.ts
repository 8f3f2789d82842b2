/** A compiled validator as ajv's standalone code emits it: a predicate that leaves its errors on itself. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: readonly ValidationIssue[] | null;
}

/** One ajv error: where in the data, and what is wrong. */
export interface ValidationIssue {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
}

/** One REST operation as the generated code describes it: plain data read from the contract. */
export interface RestOperationInfo {
  readonly operationId: string;
  readonly method: "GET" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "HEAD" | "PATCH" | "TRACE";
  /** The OpenAPI path template, e.g. `/carts/{cartId}/items`. */
  readonly path: string;
  readonly summary: string;
  readonly requiresAuth: boolean;
  /**
   * Who may call it (contracts/README.md, "Access policy"): `public` (anyone), `customer-own` (a signed-in caller;
   * the handler scopes what it touches to the caller's own), `admin` (the admin role).
   */
  readonly access: "public" | "customer-own" | "admin";
  readonly parameters: readonly { readonly name: string; readonly in: string; readonly required: boolean }[];
  readonly requestBody?:
    | { readonly required: boolean; readonly contentType: string; readonly example?: unknown }
    | undefined;
  readonly responses: readonly {
    readonly status: string;
    readonly contentType?: string | undefined;
    readonly hasSchema: boolean;
    readonly example?: unknown;
  }[];
}

/**
 * A context's REST operations with their validators: `<operationId>_body`, `<operationId>_<status>` in
 * `bodyValidators`, `<operationId>_params` in `parameterValidators` (which coerce strings in place).
 */
export interface RestContextBinding {
  readonly operations: readonly RestOperationInfo[];
  readonly bodyValidators: Readonly<Record<string, CompiledValidator>>;
  readonly parameterValidators: Readonly<Record<string, CompiledValidator>>;
}
