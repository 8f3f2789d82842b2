import { allDocuments, type ContractSet } from "@ecom/contracts";
import type { MessageModel, RestOperation, SchemaLocation } from "./contract-model.js";
import { messageIdentifier } from "./event-types.js";
import { compileStandaloneValidators, schemaRef, type ValidatorTarget } from "./standalone-validators.js";

const ref = (location: SchemaLocation) => schemaRef(location.file, location.pointer);

/** Where the generated validators (in the SDK's `gen/validators/`) import ajv's runtime helpers from. */
export const VALIDATOR_RUNTIME = "../../runtime/v1/ajv-runtime.js";

/** The exported name of an operation's validator: `addCartItem_body`, `getCart_200`, `getCart_params`. */
export function restValidatorName(operationId: string, part: string): string {
  return `${operationId}_${part}`;
}

/**
 * One schema for all parameters of an operation: `{ path: {…}, query: {…}, header: {…} }`, header names lower-cased
 * (as fetch and node:http give them). Unknown query parameters and headers are allowed; unknown path ones cannot occur.
 */
function parametersSchema(operation: RestOperation): Record<string, unknown> {
  const groups: Record<string, { properties: Record<string, unknown>; required: string[] }> = {};
  for (const parameter of operation.parameters) {
    if (parameter.in === "cookie") continue;
    const group = groups[parameter.in] ?? { properties: {}, required: [] };
    groups[parameter.in] = group;
    const name = parameter.in === "header" ? parameter.name.toLowerCase() : parameter.name;
    group.properties[name] = parameter.schema ? { $ref: ref(parameter.schema) } : {};
    if (parameter.required) group.required.push(name);
  }
  const properties: Record<string, unknown> = {};
  for (const [location, group] of Object.entries(groups)) {
    properties[location] = { type: "object", properties: group.properties, required: group.required };
  }
  return { type: "object", properties, required: Object.keys(properties) };
}

/** Validator targets for one context's REST operations: request bodies and response bodies. */
export function restBodyTargets(operations: readonly RestOperation[]): ValidatorTarget[] {
  const targets: ValidatorTarget[] = [];
  for (const operation of operations) {
    if (operation.requestBody?.schema) {
      targets.push({
        name: restValidatorName(operation.operationId, "body"),
        schema: ref(operation.requestBody.schema),
      });
    }
    for (const response of operation.responses) {
      if (response.schema)
        targets.push({ name: restValidatorName(operation.operationId, response.status), schema: ref(response.schema) });
    }
  }
  return targets;
}

/** Validator targets for one context's REST parameters (compiled with type coercion). */
export function restParameterTargets(operations: readonly RestOperation[]): ValidatorTarget[] {
  return operations.map((operation) => ({
    name: restValidatorName(operation.operationId, "params"),
    schema: parametersSchema(operation),
  }));
}

/** Standalone validators of one context's REST surface, reporting every error: bodies and responses (exact) then parameters (coercing). */
export function restValidatorSources(
  set: ContractSet,
  operations: readonly RestOperation[],
): { bodies: string; parameters: string } {
  const documents = new Map([...allDocuments(set)].map(([path, document]) => [path, document.value]));
  return {
    bodies: compileStandaloneValidators({
      dialect: "2020-12",
      documents,
      targets: restBodyTargets(operations),
      // Every error at once, so a caller fixes a request in one round; responses share the module (a response that
      // misses its contract is the server's bug, and listing all of it costs nothing when it matches).
      allErrors: true,
      runtimeModule: VALIDATOR_RUNTIME,
    }),
    parameters: compileStandaloneValidators({
      dialect: "2020-12",
      documents,
      coerceTypes: "array",
      targets: restParameterTargets(operations),
      runtimeModule: VALIDATOR_RUNTIME,
    }),
  };
}

/** The exported name of a message's payload validator: `CartCartCheckedOutV1`. */
export function messageValidatorName(type: string): string {
  return messageIdentifier(type);
}

/**
 * Standalone validators for every message payload (AsyncAPI's draft-07 dialect) and one for the envelope metadata
 * (`envelope`), which is the same for every message.
 */
export function messageValidatorSource(set: ContractSet, models: readonly MessageModel[]): string {
  const documents = new Map([...allDocuments(set)].map(([path, document]) => [path, document.value]));
  const targets: ValidatorTarget[] = models.map((model) => ({
    name: messageValidatorName(model.type),
    schema: ref(model.payload),
  }));
  const envelope = models.find((model) => model.headers)?.headers;
  if (envelope) targets.push({ name: "envelope", schema: ref(envelope) });
  return compileStandaloneValidators({ dialect: "draft-07", documents, targets, runtimeModule: VALIDATOR_RUNTIME });
}
