/** @ecom/codegen: turns the ecom contracts into the TypeScript of the SDK's `gen/` folder. */

export {
  type MessageModel,
  messages,
  type RestOperation,
  restOperations,
  type SchemaLocation,
  schemaAt,
} from "./contract-model.js";
export { type GenerateOptions, generate } from "./generate.js";
export { compareGeneratedFolder, type Drift, writeGeneratedFolder } from "./generated-folder.js";
export { bufBinary } from "./proto-source.js";
