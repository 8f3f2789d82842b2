/** The data folder: its identity (manifest), its lock, and the checks every start makes of its stores. */
export {
  DataFolderError,
  type DataFolderErrorCode,
  type DataFolderHolder,
  isDataFolderError,
} from "./data-folder-error.js";
export type { ExpectedStore, FolderProblem, Remedy } from "./folder-checks.js";
export { type DataFolderLock, describeHolder, lockDataFolder, readDataFolderLock } from "./folder-lock.js";
export { ensureDataFolder, isDataFolderFile } from "./folder-path.js";
export {
  type DataFolderManifest,
  MANIFEST_FILE,
  type ManifestStore,
  readManifest,
  type StoreRole,
} from "./manifest.js";
export { expectedStores, type OpenedDataFolder, openDataFolder, PLATFORM_VERSION } from "./open-data-folder.js";
export { type RepairPlan, type RepairStep, repairDataFolder } from "./repair-data-folder.js";
export { type ResetOutcome, resetDataFolder } from "./reset-data-folder.js";
