/**
 * The runtime that generated code calls (`@ecom/sdk/runtime/v1`). Versioned apart from the user-facing API so
 * generated code and the SDK can evolve at their own pace; integrators should not need it.
 */

export type { GraphqlDocument } from "./graphql-document.js";
export type { MessageRegistryEntry } from "./registry.js";
export {
  byPathSpecificity,
  type ContractIssue,
  type RequestParts,
  validateRequest,
  validateResponse,
  validationProblem,
} from "./request-validation.js";
export {
  type CompiledValidator,
  lazyRestContext,
  type RestContextBinding,
  type RestOperationInfo,
  type RestValidators,
  type ValidationIssue,
} from "./rest-operation.js";
export {
  contractIssues,
  issuesSummary,
  listedIssues,
  MAX_LISTED_ISSUES,
} from "./validation-issues.js";
