import { once } from "node:events";
import { connect as connectTcp } from "node:net";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

// For the bus's tests against the machine's NATS (ECOM_BUS_URL, default the local JetStream server): whether it
// answers, and a namespace of the test file's own, whose streams (and so consumers) are deleted afterwards.

/** The NATS server the tests use. */
export const BUS_URL = process.env.ECOM_BUS_URL ?? "nats://127.0.0.1:4222";

/**
 * Whether the NATS tests run: true when the server answers. When it does not, the file skips with one line saying
 * why, unless `ECOM_BACKENDS_REQUIRED=1` (CI), where the tests run and fail on the missing server.
 */
export async function natsAvailable(what: string): Promise<boolean> {
  const { hostname, port } = new URL(BUS_URL);
  const socket = connectTcp({ host: hostname, port: Number(port || 4222) });
  socket.setTimeout(2_000, () => socket.destroy(new Error("timed out")));
  try {
    await once(socket, "connect");
    return true;
  } catch {
    if (process.env.ECOM_BACKENDS_REQUIRED === "1") return true;
    process.stderr.write(`NATS tests skipped (${what}): nothing answers at ${hostname}:${port || 4222} (start nats-server -js, or set ECOM_BUS_URL)\n`);
    return false;
  } finally {
    socket.destroy();
  }
}

let made = 0;

/** A namespace of this test file's own (`ecomt_<pid>_<n>`, as tests/backends names them: a dead process's are swept). */
export function testNamespace(): string {
  made += 1;
  return `ecomt_${process.pid}_${made}${Math.floor(Math.random() * 1e6)}`;
}

/** Delete every stream of `namespace` (its consumers go with them). */
export async function dropNamespace(namespace: string): Promise<void> {
  const connection = await connect({ servers: BUS_URL });
  try {
    const manager = await jetstreamManager(connection);
    for await (const stream of manager.streams.names()) {
      if (stream.toLowerCase().includes(`ecom_${namespace}_`)) await manager.streams.delete(stream);
    }
  } finally {
    await connection.close();
  }
}
