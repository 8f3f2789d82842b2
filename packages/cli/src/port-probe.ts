import { createServer } from "node:net";
import { UsageError } from "./exit-codes.js";

/** Fail with a one-line usage error when `port` of `host` cannot be listened on. */
export async function ensurePortFree(port: number, host: string): Promise<void> {
  const probe = createServer();
  try {
    await new Promise<void>((resolveListen, rejectListen) => {
      probe.once("error", rejectListen);
      probe.listen({ port, host, exclusive: true }, resolveListen);
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE")
      throw new UsageError(`port ${port} is in use; pass --port <another> (or 0 for any free port)`);
    throw new UsageError(`cannot listen on ${host}:${port} (${code ?? String(error)}); pass --host/--port`);
  } finally {
    await new Promise((resolveClose) => probe.close(resolveClose));
  }
}
