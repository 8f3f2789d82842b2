import type { RestOperation } from "./contract-model.js";

const camel = (context: string) => context.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
const pascal = (context: string) => `${camel(context)[0]?.toUpperCase() ?? ""}${camel(context).slice(1)}`;

/** Whether a call of the operation must pass an init object (path params, required query/header, required body). */
function initRequired(operation: RestOperation): boolean {
  return (
    operation.parameters.some(
      (parameter) =>
        parameter.required && parameter.in !== "cookie" && parameter.name.toLowerCase() !== "idempotency-key",
    ) || operation.requestBody?.required === true
  );
}

/** Operation metadata the runtime, the MSW handlers and the simulator gateway read: plain data, no schemas. */
function operationInfo(operation: RestOperation): Record<string, unknown> {
  return {
    operationId: operation.operationId,
    method: operation.method.toUpperCase(),
    path: operation.path,
    summary: operation.summary,
    requiresAuth: operation.requiresAuth,
    access: operation.access,
    parameters: operation.parameters.map((parameter) => ({
      name: parameter.name,
      in: parameter.in,
      required: parameter.required,
    })),
    requestBody: operation.requestBody
      ? {
          required: operation.requestBody.required,
          contentType: operation.requestBody.contentType,
          example: operation.requestBody.example,
        }
      : undefined,
    responses: operation.responses.map((response) => ({
      status: response.status,
      contentType: response.contentType,
      hasSchema: response.schema !== undefined,
      example: response.hasExample ? response.example : undefined,
    })),
  };
}

/**
 * The operations' metadata as source, with every example that more than one place uses (the shared problem+json
 * responses above all) written once as a constant and referred to by name, instead of once per operation.
 */
function withSharedExamples(infos: readonly Record<string, unknown>[], name: string): string[] {
  const texts: string[] = [];
  const visit = (node: unknown, found: (example: unknown) => void) => {
    if (Array.isArray(node)) for (const item of node) visit(item, found);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "example" && value !== undefined) found(value);
        else visit(value, found);
      }
    }
  };
  const counts = new Map<string, number>();
  visit(infos, (example) => {
    const text = JSON.stringify(example);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  });
  const constants = new Map<string, string>();
  for (const [text, count] of counts) {
    if (count > 1) {
      constants.set(text, `example${constants.size}`);
      texts.push(text);
    }
  }
  const marker = (constant: string) => `@@${constant}@@`;
  const replace = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(replace);
    if (!node || typeof node !== "object") return node;
    return Object.fromEntries(
      Object.entries(node).map(([key, value]) => {
        const constant = key === "example" && value !== undefined ? constants.get(JSON.stringify(value)) : undefined;
        return [key, constant ? marker(constant) : replace(value)];
      }),
    );
  };
  const body = JSON.stringify(replace(infos), null, 2).replace(/"@@(example\d+)@@"/g, "$1");
  return [
    ...texts.map((text, index) => `const example${index} = ${text};`),
    ...(texts.length > 0 ? [""] : []),
    `export const ${name}: readonly RestOperationInfo[] = ${body};`,
  ];
}

/** The `rest/<context>.ts` module: the operations' metadata and a typed client with one method per operationId. */
export function restContextSource(context: string, operations: readonly RestOperation[]): string {
  const lines: string[] = [];
  lines.push('import type { Client, FetchOptions, FetchResponse } from "openapi-fetch";');
  lines.push('import type { RestOperationInfo } from "../../runtime/v1/rest-operation.js";');
  lines.push(`import type { paths } from "../openapi/${context}.js";`);
  lines.push("");
  lines.push(`/** The REST operations of the ${context} context, as its contract declares them. */`);
  lines.push(...withSharedExamples(operations.map(operationInfo), `${camel(context)}Operations`));
  lines.push("");
  lines.push(`/** The typed REST client of the ${context} context: one method per operation of its contract. */`);
  lines.push(`export function create${pascal(context)}Client(client: Client<paths>) {`);
  lines.push("  return {");
  for (const operation of operations) {
    const pathType = `paths[${JSON.stringify(operation.path)}][${JSON.stringify(operation.method)}]`;
    const optional = initRequired(operation) ? "" : "?";
    lines.push(
      `    /** ${operation.summary.replace(/\*\//g, "* /")} (\`${operation.method.toUpperCase()} ${operation.path}\`) */`,
    );
    lines.push(
      `    ${operation.operationId}: (init${optional}: FetchOptions<${pathType}>): Promise<FetchResponse<${pathType}, FetchOptions<${pathType}>, \`\${string}/\${string}\`>> =>`,
      // openapi-fetch infers its Init from the argument; the cast only hides the path-union, the result type is exact.
      `      client.${operation.method.toUpperCase()}(${JSON.stringify(operation.path)}, init as never) as never,`,
    );
  }
  lines.push("  };");
  lines.push("}");
  lines.push("");
  lines.push(`/** The typed REST client of the ${context} context. */`);
  lines.push(`export type ${pascal(context)}Client = ReturnType<typeof create${pascal(context)}Client>;`);
  return `${lines.join("\n")}\n`;
}

/**
 * The `rest/index.ts` module: every context's client factory, and its operations with their validators, keyed by
 * context. The validators (ajv standalone code, a few hundred kB per context) are imported on first use, so neither
 * a client nor a starting simulator compiles every context's.
 */
export function restIndexSource(contexts: readonly string[]): string {
  const lines: string[] = [];
  lines.push('import createFetchClient, { type ClientOptions } from "openapi-fetch";');
  lines.push('import { lazyRestContext, type RestContextBinding } from "../../runtime/v1/rest-operation.js";');
  for (const context of contexts) {
    lines.push(`import type { paths as ${camel(context)}Paths } from "../openapi/${context}.js";`);
    lines.push(`import { create${pascal(context)}Client, ${camel(context)}Operations } from "./${context}.js";`);
  }
  lines.push("");
  lines.push("/** One typed REST client per context, all sharing the same fetch options. */");
  lines.push("export function createContextClients(options: ClientOptions) {");
  lines.push("  return {");
  for (const context of contexts) {
    lines.push(
      `    ${camel(context)}: create${pascal(context)}Client(createFetchClient<${camel(context)}Paths>(options)),`,
    );
  }
  lines.push("  };");
  lines.push("}");
  lines.push("");
  lines.push("/** The typed REST clients of every context, keyed by context. */");
  lines.push("export type ContextClients = ReturnType<typeof createContextClients>;");
  lines.push("");
  lines.push("/** Every context's REST operations with their compiled validators (loaded on first use). */");
  lines.push("export const restContexts: Readonly<Record<string, RestContextBinding>> = {");
  for (const context of contexts) {
    lines.push(
      `  ${JSON.stringify(context)}: lazyRestContext(${camel(context)}Operations, () => Promise.all([import("../validators/rest-${context}.js"), import("../validators/rest-${context}-params.js")])),`,
    );
  }
  lines.push("};");
  for (const context of contexts) {
    lines.push(`export type { ${pascal(context)}Client } from "./${context}.js";`);
    lines.push(`/** The ${context} context's REST contract as types: \`paths\`, \`operations\`, \`components\`. */`);
    lines.push(`export type * as ${camel(context)}Api from "../openapi/${context}.js";`);
  }
  return `${lines.join("\n")}\n`;
}
