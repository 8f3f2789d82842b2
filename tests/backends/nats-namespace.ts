import type { NatsConnection } from "@nats-io/transport-node";
import { BUS_URL } from "./probe.js";
import { isRunning, pidOfTestName, uniqueTestName } from "./test-database.js";

/**
 * A NATS namespace of one test file's own. A platform names everything it makes on NATS from its namespace
 * (docs/design/scale-out.md section 9: stream `ECOM_<NS>_EVENTS`, consumers inside it, KV buckets `ecom_<ns>_…`, whose
 * streams are `KV_ecom_<ns>_…`), so a namespace's streams are those whose lower-cased name holds `ecom_<ns>_`, and
 * deleting them deletes its consumers and buckets too.
 */
export interface TestNamespace {
  /** `ecomt_<pid>_<n>`; give a test database's name to use the namespace a platform on that database takes. */
  readonly name: string;
  /** Delete every stream (and so consumer and KV bucket) of the namespace. */
  drop(): Promise<void>;
}

/** A namespace for this test file: `name` (a test database's, say), else a fresh `ecomt_<pid>_<n>`. */
export function createTestNamespace(name: string = uniqueTestName()): TestNamespace {
  return { name, drop: () => dropNamespace(name).then(() => undefined) };
}

/** Whether a stream belongs to namespace `namespace` (see {@link TestNamespace}). */
export function isStreamOf(stream: string, namespace: string): boolean {
  return stream.toLowerCase().includes(`ecom_${namespace.toLowerCase()}_`);
}

async function withNats<T>(work: (connection: NatsConnection) => Promise<T>): Promise<T> {
  // Imported when used, so a file that only asks for a namespace's name loads without the NATS client.
  const { connect } = await import("@nats-io/transport-node");
  const connection = await connect({ servers: BUS_URL, name: `ecom-test-cleanup-${process.pid}` });
  try {
    return await work(connection);
  } finally {
    await connection.close();
  }
}

/** Delete the streams of `namespace`; resolves with their names. */
export function dropNamespace(namespace: string): Promise<string[]> {
  return dropStreams((stream) => isStreamOf(stream, namespace));
}

/** Delete the streams of test namespaces whose process no longer runs (a test run that died before its teardown). */
export function dropAbandonedNamespaces(): Promise<string[]> {
  return dropStreams((stream) => {
    const namespace = /ecom_(ecomt_\d+_\d+)_/i.exec(stream)?.[1]?.toLowerCase();
    const pid = namespace === undefined ? undefined : pidOfTestName(namespace);
    return pid !== undefined && !isRunning(pid);
  });
}

async function dropStreams(matches: (stream: string) => boolean): Promise<string[]> {
  return withNats(async (connection) => {
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const manager = await jetstreamManager(connection);
    const dropped: string[] = [];
    for await (const stream of manager.streams.names()) {
      if (!matches(stream)) continue;
      await manager.streams.delete(stream);
      dropped.push(stream);
    }
    return dropped;
  });
}
