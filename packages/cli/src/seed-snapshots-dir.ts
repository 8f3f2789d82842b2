import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Where in-memory platforms (`sim up --memory`, `checkout` without --url) keep their seed snapshots: under
 * $ECOM_CACHE_DIR when set, else the user's cache folder ($XDG_CACHE_HOME, or ~/.cache). Deleting it is safe: the
 * next start seeds and keeps a new one.
 */
export function seedSnapshotsDir(): string {
  const cache = process.env.ECOM_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "ecom");
  return join(cache, "seed-snapshots");
}
