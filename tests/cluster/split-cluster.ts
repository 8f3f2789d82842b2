import { allContexts, devAccounts } from "@ecom/services";
import {
  type ClusterMember,
  type ClusterMembership,
  createPlatform,
  type Gateway,
  joinCluster,
  type Platform,
  type RegistryView,
  readServiceTokenKey,
  startGateway,
  storeNamespace,
} from "@ecom/simulator";
import { createTestNamespace } from "../backends/nats-namespace.js";
import { createTestDatabase, type TestDatabase } from "../backends/test-database.js";
import { quiet } from "../simulator/shop.js";

/**
 * A platform split over processes behind a gateway, as `ecom serve --contexts …` and `ecom gateway` run it: here
 * platforms in the test's process, each on a port of its own, calling the others over HTTP with service tokens and
 * found through the registry in NATS KV, on a database and namespace of their own.
 */
export interface SplitCluster {
  readonly database: TestDatabase;
  readonly namespace: string;
  /** The platforms in the order of their shares. */
  readonly platforms: readonly Platform[];
  readonly gateway: Gateway;
  /** Stop the gateway and every process, then drop the database and the namespace. */
  close(): Promise<void>;
}

/**
 * Start one process per share of contexts, one after another (each migrates and seeds its own), and the gateway.
 * `memberOf` gives what joins the cluster for a process's platform (the platform itself unless a test wraps it).
 */
export async function startSplitCluster(
  busUrl: string,
  shares: readonly (readonly string[])[],
  memberOf: (platform: Platform) => ClusterMember = (platform) => platform,
): Promise<SplitCluster> {
  const database = await createTestDatabase();
  const namespace = storeNamespace(database.url);
  const processes: { platform: Platform; membership: ClusterMembership }[] = [];
  let gateway: Gateway | undefined;
  const close = async () => {
    await gateway?.close();
    for (const { platform, membership } of processes) {
      await membership.leave();
      await platform.close();
    }
    await createTestNamespace(namespace).drop();
    await database.drop();
  };
  try {
    for (const share of shares) {
      const joined: { view?: RegistryView } = {};
      const platform = await createPlatform({
        contexts: allContexts.filter((module) => share.includes(module.name)),
        log: quiet,
        devAccounts,
        backends: { storeUrl: database.url, busUrl },
        split: { registry: { urlOf: (context) => joined.view?.urlOf(context) } },
      });
      const url = await platform.listen(0);
      const membership = await joinCluster({
        member: memberOf(platform),
        connection: busUrl,
        namespace,
        contexts: share,
        url,
        log: quiet,
      });
      joined.view = membership.view;
      processes.push({ platform, membership });
    }
    const contexts = shares.flat();
    const started = await startGateway({
      bus: busUrl,
      namespace,
      serviceTokenKey: await readServiceTokenKey({ url: database.url }),
      contexts,
      port: 0,
      host: "127.0.0.1",
      log: quiet,
    });
    gateway = started;
    // The gateway's registry watcher hears of the processes on its own time.
    await started.view.until(() => contexts.every((context) => started.view.urlOf(context) !== undefined));
    return { database, namespace, platforms: processes.map(({ platform }) => platform), gateway: started, close };
  } catch (error) {
    await close();
    throw error;
  }
}
