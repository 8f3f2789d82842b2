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
 * A context's compiled validators: `<operationId>_body`, `<operationId>_<status>` in `bodyValidators`,
 * `<operationId>_params` in `parameterValidators` (which coerce strings in place).
 */
export interface RestValidators {
  readonly bodyValidators: Readonly<Record<string, CompiledValidator>>;
  readonly parameterValidators: Readonly<Record<string, CompiledValidator>>;
}

/**
 * A context's REST operations, and its validators, loaded on first use: all contexts' validators are some 3 MB of
 * code, which a process that has answered nothing yet (the simulator, starting) or calls a few operations (a client)
 * should not have to compile.
 */
export interface RestContextBinding {
  readonly operations: readonly RestOperationInfo[];
  /** The validators once {@link loadValidators} has loaded them; undefined before. */
  readonly validators: RestValidators | undefined;
  /** Load the validators; every call answers the same promise, so they load once. */
  loadValidators(): Promise<RestValidators>;
}

/** The modules of a context's validators as the generated code imports them: bodies and parameters. */
type ValidatorModules = readonly [bodies: object, parameters: object];

/**
 * The binding of a context's `operations` whose validators `load` imports on first use (as the generated
 * `restContexts` makes each context's).
 */
export function lazyRestContext(
  operations: readonly RestOperationInfo[],
  load: () => Promise<ValidatorModules>,
): RestContextBinding {
  let loading: Promise<RestValidators> | undefined;
  const binding = {
    operations,
    validators: undefined as RestValidators | undefined,
    loadValidators(): Promise<RestValidators> {
      loading ??= load().then(
        ([bodies, parameters]) => {
          const validators: RestValidators = {
            bodyValidators: bodies as RestValidators["bodyValidators"],
            parameterValidators: parameters as RestValidators["parameterValidators"],
          };
          binding.validators = validators;
          return validators;
        },
        (error: unknown) => {
          // A failed import is tried again by the next call, not answered from a rejected promise forever.
          loading = undefined;
          throw error;
        },
      );
      return loading;
    },
  };
  return binding;
}
