/** @ecom/contracts: loading, linting and comparing the ecom contracts. */
export {
  type ContractFiles,
  ContractSourceError,
  createDirectoryFiles,
  createGitFiles,
} from "./source/contract-files.js";
export {
  allDocuments,
  type ContractSet,
  contextOfFile,
  loadContractSet,
  type ResolvedRef,
  resolveRef,
  valueAt,
} from "./source/contract-set.js";
export {
  parseYamlDocument,
  pointerSegments,
  toPointer,
  type YamlDocument,
  YamlSyntaxError,
} from "./source/yaml-document.js";
