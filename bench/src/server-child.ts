import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { catalogV1 } from "@ecom/sdk/rpc";
import { allContexts } from "@ecom/services";
import {
  type ClusterMembership,
  createPlatform,
  type Gateway,
  joinCluster,
  type Platform,
  type RegistryView,
  readServiceTokenKey,
  sqlTrace,
  startGateway,
} from "@ecom/simulator";
import type { ChildReply, ChildRequest } from "./child-protocol.js";

// One server of the bench, in a process of its own so that its CPU time is its own (process.cpuUsage) and the
// load generator in the parent does not share its event loop. Started by `forkServer`; speaks ChildRequest/Reply.

const quiet = { info() {}, warn() {}, error() {} };
let platform: Platform | undefined;
let membership: ClusterMembership | undefined;
let gateway: Gateway | undefined;

function reply(message: ChildReply): void {
  process.send?.(message);
}

/** Bytes this process has written through system calls, from Linux's /proc/self/io (0 elsewhere). */
function writtenBytes(): { bytes: number; calls: number } {
  try {
    const io = readFileSync("/proc/self/io", "utf8");
    const field = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(io)?.[1] ?? 0);
    return { bytes: field("wchar"), calls: field("syscw") };
  } catch {
    return { bytes: 0, calls: 0 };
  }
}

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer({ keepAliveTimeout: 60_000 }, handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function start(request: Extract<ChildRequest, { kind: "start" }>): Promise<string> {
  switch (request.server) {
    case "platform": {
      if (request.backends) return startOnBackends(request.backends, request.contexts);
      platform = await createPlatform({
        contexts: allContexts,
        ...(request.dataDir ? { dataDir: request.dataDir } : { memory: true }),
        log: quiet,
      });
      return platform.listen(0);
    }
    case "gateway": {
      const { storeUrl, busUrl, namespace } = request.backends!;
      const names = allContexts.map((module) => module.name);
      gateway = await startGateway({
        bus: busUrl,
        namespace,
        serviceTokenKey: await readServiceTokenKey({ url: storeUrl, namespace }),
        contexts: names,
        port: 0,
        host: "127.0.0.1",
        log: quiet,
      });
      // Ready once every context has a process behind it (the registry's watch brings them in soon after the start).
      const { view } = gateway;
      await view.until(() => names.every((name) => view.urlOf(name) !== undefined));
      return gateway.url;
    }
    case "raw-http": {
      // The limit for the gateway: node:http answering every request with the very bytes ecom answered.
      const { status, headers, body } = request.response!;
      return listen((incoming, response) => {
        incoming.resume();
        incoming.on("end", () => {
          response.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
          response.end(body);
        });
      });
    }
    case "bare-connect": {
      // The limit for Connect: connect-node serving GetProduct with the very message ecom answered.
      const answer = fromJson(catalogV1.GetProductResponseSchema, request.message as JsonValue);
      const routes = (router: ConnectRouter) =>
        router.rpc(catalogV1.CatalogService.method.getProduct, async () => answer);
      const handler = connectNodeAdapter({ routes });
      return listen((incoming, response) => handler(incoming, response));
    }
  }
}

/**
 * A platform on PostgreSQL and NATS JetStream: every context, as `ecom sim up --store --bus` runs it, or `contexts`
 * only, in split mode and joined to the namespace's registry, as `ecom serve --contexts` runs them (without its
 * request log, as the embedded platform here runs without one).
 */
async function startOnBackends(
  backends: NonNullable<Extract<ChildRequest, { kind: "start" }>["backends"]>,
  contexts: readonly string[] | undefined,
): Promise<string> {
  const joined: { view?: RegistryView } = {};
  platform = await createPlatform({
    contexts: contexts ? allContexts.filter((module) => contexts.includes(module.name)) : allContexts,
    backends,
    ...(contexts ? { split: { registry: { urlOf: (context: string) => joined.view?.urlOf(context) } } } : {}),
    log: quiet,
  });
  const url = await platform.listen(0);
  if (contexts) {
    membership = await joinCluster({
      member: platform,
      connection: backends.busUrl,
      namespace: backends.namespace,
      contexts,
      url,
      log: quiet,
    });
    joined.view = membership.view;
  }
  return url;
}

process.on("message", (message: ChildRequest) => {
  const answer = async (): Promise<ChildReply> => {
    switch (message.kind) {
      case "start":
        return { kind: "started", url: await start(message) };
      case "usage":
        return { kind: "usage", cpuMicros: cpuMicros(), written: writtenBytes() };
      case "settle":
        await platform?.settle();
        return { kind: "settled", lastSeq: (await platform?.eventLog.lastSeq()) ?? 0 };
      case "sql-trace": {
        const entries = sqlTrace?.entries() ?? [];
        sqlTrace?.reset();
        return { kind: "sql-trace", entries };
      }
      case "close":
        await membership?.leave();
        await gateway?.close();
        await platform?.close();
        setImmediate(() => process.exit(0));
        return { kind: "closed" };
    }
  };
  answer().then(reply, (error: unknown) => reply({ kind: "failed", message: String(error) }));
});

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

// A parent that died (a failed bench) takes its servers with it.
process.on("disconnect", () => process.exit(1));
