/**
 * `@ecom/sdk/contracts`: the contracts as data for tools and servers (the simulator's gateway, the CLI): every REST
 * operation with its compiled validators, the message registry and the message validators. Integrators rarely need it.
 */
export { messageRegistry } from "./gen/registry.js";
export { restContexts } from "./gen/rest/index.js";
export * as messageValidators from "./gen/validators/messages.js";
