import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { SqlTraceEntry } from "@ecom/simulator";
import type { ChildReply, ChildRequest } from "./child-protocol.js";

/** A server child of the bench, answering one request at a time. */
export interface ServerProcess {
  readonly url: string;
  /** CPU time used and bytes written by the child so far. */
  usage(): Promise<Extract<ChildReply, { kind: "usage" }>>;
  /**
   * Wait until the platform has delivered every event it can (a no-op for the other servers); resolves to the log's
   * newest sequence number then.
   */
  settle(): Promise<number>;
  /** The statements the child ran since the last call (ECOM_SQL_TRACE), and count anew. */
  sqlTrace(): Promise<readonly SqlTraceEntry[]>;
  close(): Promise<void>;
}

const childScript = fileURLToPath(new URL("./server-child.js", import.meta.url));

/** Start a server in a child process of its own, so its CPU time and event loop are its own. */
export async function forkServer(
  start: Omit<Extract<ChildRequest, { kind: "start" }>, "kind">,
): Promise<ServerProcess> {
  // ECOM_BENCH_PROFILE=<folder> writes a CPU profile of each server there when it closes (open it in Chrome's
  // DevTools), to see where the time of a figure goes.
  const profile = process.env.ECOM_BENCH_PROFILE;
  const child: ChildProcess = fork(childScript, [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    execArgv: profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : [],
  });
  let queue: Promise<unknown> = Promise.resolve();
  const ask = <TKind extends ChildReply["kind"]>(
    request: ChildRequest,
  ): Promise<Extract<ChildReply, { kind: TKind }>> => {
    const asked = queue.then(
      () =>
        new Promise<Extract<ChildReply, { kind: TKind }>>((resolve, reject) => {
          const onExit = (code: number | null) => reject(new Error(`the ${start.server} server exited (${code})`));
          child.once("exit", onExit);
          child.once("message", (reply: ChildReply) => {
            child.off("exit", onExit);
            if (reply.kind === "failed") reject(new Error(`the ${start.server} server: ${reply.message}`));
            else resolve(reply as Extract<ChildReply, { kind: TKind }>);
          });
          child.send(request);
        }),
    );
    queue = asked.catch(() => {});
    return asked;
  };
  const { url } = await ask<"started">({ kind: "start", ...start });
  return {
    url,
    usage: () => ask<"usage">({ kind: "usage" }),
    settle: async () => (await ask<"settled">({ kind: "settle" })).lastSeq,
    sqlTrace: async () => (await ask<"sql-trace">({ kind: "sql-trace" })).entries,
    close: async () => {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await ask<"closed">({ kind: "close" });
      await exited;
    },
  };
}
