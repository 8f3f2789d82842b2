import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Logger } from "@ecom/services/platform";

/** How often the WAL of each store is checkpointed into its database file. */
export const CHECKPOINT_INTERVAL_MS = 5_000;

// The worker's code, inline so that it runs the same from the TypeScript sources (tests) and from dist/. It keeps a
// connection of its own to each database and runs PASSIVE checkpoints there: they never wait for, nor block, the
// event loop's connection, which goes on reading and writing meanwhile.
const WORKER_SOURCE = `
const { parentPort, workerData } = await import("node:worker_threads");
const { default: Database } = await import(workerData.driver);
const connections = new Map();
parentPort.on("message", (message) => {
  if (message === "close") {
    for (const connection of connections.values()) connection.close();
    connections.clear();
    parentPort.close();
    return;
  }
  const failures = [];
  for (const file of workerData.files) {
    try {
      let connection = connections.get(file);
      if (!connection) {
        connection = new Database(file, { fileMustExist: true });
        connections.set(file, connection);
      }
      connection.pragma("wal_checkpoint(PASSIVE)");
    } catch (error) {
      failures.push(file + ": " + String(error));
    }
  }
  parentPort.postMessage(failures);
});
`;

/** Checkpoints the stores' WAL files off the event loop, on an interval, until closed. */
export interface WalCheckpointer {
  /** Checkpoint every store now; resolves when done (tests, and the interval). */
  checkpoint(): Promise<void>;
  /** Stop, and close the worker's connections, so the event loop's are the last and clean up the WAL on close. */
  close(): Promise<void>;
}

/**
 * Checkpoint the WAL of each database file in `files` every `intervalMs`, in a worker thread with connections of
 * its own, so no request waits for a checkpoint. The worker starts with the first checkpoint, not at start-up. A
 * checkpoint still running when the next is due is not doubled. The WAL file itself is cut back by the stores'
 * `journal_size_limit` when a writer starts it over after a complete checkpoint.
 */
export function createWalCheckpointer(
  files: readonly string[],
  options: { readonly log: Logger; readonly intervalMs?: number },
): WalCheckpointer {
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let closed = false;
  const driver = pathToFileURL(createRequire(import.meta.url).resolve("better-sqlite3")).href;

  const checkpoint = (): Promise<void> => {
    if (closed || files.length === 0) return Promise.resolve();
    if (running) return running;
    if (!worker) {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { files, driver } });
      worker.unref();
      worker.on("error", (error) => options.log.error("the WAL checkpoint worker failed", { error: String(error) }));
    }
    const current = worker;
    running = new Promise<void>((resolve) => {
      const done = (failures: readonly string[] | number) => {
        current.off("message", done);
        current.off("exit", done);
        if (Array.isArray(failures) && failures.length > 0) options.log.warn("WAL checkpoint failed", { failures });
        running = undefined;
        resolve();
      };
      current.on("message", done);
      current.on("exit", done);
      current.postMessage("checkpoint");
    });
    return running;
  };

  const timer = setInterval(() => void checkpoint(), options.intervalMs ?? CHECKPOINT_INTERVAL_MS);
  timer.unref();

  return {
    checkpoint,
    async close() {
      clearInterval(timer);
      await running;
      closed = true;
      if (!worker) return;
      const exited = new Promise<void>((resolve) => worker!.once("exit", () => resolve()));
      worker.postMessage("close");
      await exited;
      worker = undefined;
    },
  };
}
