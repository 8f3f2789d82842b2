import { Agent } from "node:http";
import { toJson } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { catalogV1 } from "@ecom/sdk/rpc";
import { runLoad, send } from "./http-load.js";
import { PRISM_VERSION, startPrism } from "./prism.js";
import { type Figure, formatMicros, median } from "./report.js";
import { forkServer, type ServerProcess } from "./server-process.js";

/** Headers node:http sets itself; the raw server computes its own. */
const TRANSPORT_HEADERS = new Set(["content-length", "date", "connection", "keep-alive", "transfer-encoding"]);

/** One measured run of a server: requests per second and the server's CPU per request. */
interface Run {
  readonly perSecond: number;
  readonly cpuMicros: number;
}

/** One run of `requests` GETs of `path`, `connections` at once. */
async function httpRun(
  server: Pick<ServerProcess, "url" | "usage">,
  path: string,
  requests: number,
  connections: number,
): Promise<Run> {
  const before = await server.usage();
  const result = await runLoad({ url: `${server.url}${path}`, connections, requests });
  const after = await server.usage();
  return { perSecond: result.perSecond, cpuMicros: (after.cpuMicros - before.cpuMicros) / requests };
}

/**
 * ecom's runs and its limit's taken in turns (ecom, limit, ecom, limit, …), so that the machine's load changing
 * during a part weighs on both alike, as three runs of one and then three of the other did not; the median of each.
 */
async function inTurns(ecom: () => Promise<Run>, limit: () => Promise<Run>, rounds = 3) {
  const ecomRuns: Run[] = [];
  const limitRuns: Run[] = [];
  for (let round = 0; round < rounds; round++) {
    ecomRuns.push(await ecom());
    limitRuns.push(await limit());
  }
  const summary = (runs: readonly Run[]): Run => ({
    perSecond: median(runs.map((run) => run.perSecond)),
    cpuMicros: median(runs.map((run) => run.cpuMicros)),
  });
  return { ecom: summary(ecomRuns), limit: summary(limitRuns) };
}

/**
 * A GET through the gateway (routing, request and response validation) beside raw node:http sending the very same
 * bytes, `connections` at once.
 */
async function benchGet(
  ecom: ServerProcess,
  options: { path: string; name: string; target: number; connections: number; requests: number },
): Promise<Figure> {
  const agent = new Agent({ keepAlive: true });
  const sample = await send(agent, `${ecom.url}${options.path}`);
  agent.destroy();
  if (sample.status !== 200) throw new Error(`GET ${options.path} answered ${sample.status}`);
  const headers = Object.fromEntries(Object.entries(sample.headers).filter(([name]) => !TRANSPORT_HEADERS.has(name)));
  const raw = await forkServer({ server: "raw-http", response: { status: 200, headers, body: sample.body } });
  try {
    await runLoad({ url: `${ecom.url}${options.path}`, connections: options.connections, requests: 500 });
    await runLoad({ url: `${raw.url}${options.path}`, connections: options.connections, requests: 500 });
    const { ecom: measuredEcom, limit: measuredRaw } = await inTurns(
      () => httpRun(ecom, options.path, options.requests, options.connections),
      () => httpRun(raw, options.path, options.requests, options.connections),
    );
    return {
      name: `${options.name}, ${options.connections} connections (${sample.body.length} bytes)`,
      value: measuredEcom.perSecond,
      limit: measuredRaw.perSecond,
      unit: "req/s",
      limitName: "raw node:http, same bytes",
      higherIsBetter: true,
      target: `≥ ${options.target * 100} %`,
      met: measuredEcom.perSecond / measuredRaw.perSecond >= options.target,
      cpu: { ecom: formatMicros(measuredEcom.cpuMicros), limit: formatMicros(measuredRaw.cpuMicros) },
    };
  } finally {
    await raw.close();
  }
}

/**
 * The same GET against Prism's mock server of the catalog's contract (the third limit: ecom at least 3×
 * Prism). Prism answers the contract's example instead of a stored product; both check the request. When Prism
 * cannot be installed or started here, the row says why instead of failing the bench.
 */
async function benchAgainstPrism(
  ecom: ServerProcess,
  options: { path: string; connections: number; requests: number },
): Promise<Figure> {
  const figure = {
    name: `GET /products/{id} against Prism's mock server, ${options.connections} connections`,
    unit: "req/s",
    limitName: `Prism ${PRISM_VERSION} (\`prism mock contracts/openapi/catalog.yaml\`)`,
    higherIsBetter: true,
    target: "≥ 3×",
  };
  const prism = await startPrism(options.path);
  if ("reason" in prism) return { ...figure, value: 0, limit: 0, met: false, notMeasured: prism.reason };
  try {
    await runLoad({ url: `${prism.url}${options.path}`, connections: options.connections, requests: 500 });
    const { ecom: measuredEcom, limit: measuredPrism } = await inTurns(
      () => httpRun(ecom, options.path, options.requests, options.connections),
      () => httpRun(prism, options.path, options.requests, options.connections),
    );
    return {
      ...figure,
      value: measuredEcom.perSecond,
      limit: measuredPrism.perSecond,
      met: measuredEcom.perSecond / measuredPrism.perSecond >= 3,
      cpu: { ecom: formatMicros(measuredEcom.cpuMicros), limit: formatMicros(measuredPrism.cpuMicros) },
    };
  } finally {
    await prism.close();
  }
}

/** Runs of `calls` Connect unary calls, `connections` callers at once, on a client warmed up first. */
async function connectRuns(
  server: ServerProcess,
  productId: string,
  calls: number,
  connections: number,
): Promise<() => Promise<Run>> {
  const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
  const client = createClient(catalogV1.CatalogService, transport);
  const run = async (count: number) => {
    let remaining = count;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (remaining > 0) {
          remaining--;
          await client.getProduct({ productId });
        }
      }),
    );
    return count / ((performance.now() - started) / 1000);
  };
  await run(300);
  return async () => {
    const before = await server.usage();
    const perSecond = await run(calls);
    const after = await server.usage();
    return { perSecond, cpuMicros: (after.cpuMicros - before.cpuMicros) / calls };
  };
}

/** The id of the first product the platform at `url` lists: what the figures ask for. */
async function firstProductId(url: string): Promise<string> {
  const agent = new Agent({ keepAlive: true });
  try {
    const page = JSON.parse((await send(agent, `${url}/products?limit=1`)).body) as { items: { productId: string }[] };
    return page.items[0]!.productId;
  } finally {
    agent.destroy();
  }
}

/** The gateway's figures: a product, a 20-item page, the product beside Prism, and Connect GetProduct. */
export async function benchGateway(options: { connections: number; requests: number }): Promise<Figure[]> {
  const ecom = await forkServer({ server: "platform" });
  try {
    const productId = await firstProductId(ecom.url);
    const figures = [
      await benchGet(ecom, {
        path: `/products/${productId}`,
        name: "GET /products/{id} with request + response validation",
        target: 0.4,
        ...options,
      }),
      await benchGet(ecom, {
        path: "/products?limit=20",
        name: "GET /products?limit=20 (a 20-item page) with validation",
        target: 0.25,
        ...options,
      }),
      await benchAgainstPrism(ecom, { path: `/products/${productId}`, ...options }),
    ];
    figures.push(await connectFigure(ecom, productId, options));
    return figures;
  } finally {
    await ecom.close();
  }
}

/** Connect unary GetProduct against a bare connect-node server answering the same message. */
async function connectFigure(
  ecom: ServerProcess,
  productId: string,
  options: { connections: number; requests: number },
): Promise<Figure> {
  const message = await createClient(
    catalogV1.CatalogService,
    createConnectTransport({ baseUrl: ecom.url, httpVersion: "1.1" }),
  ).getProduct({ productId });
  const bare = await forkServer({
    server: "bare-connect",
    message: toJson(catalogV1.GetProductResponseSchema, message),
  });
  try {
    const { ecom: measuredEcom, limit: measuredBare } = await inTurns(
      await connectRuns(ecom, productId, options.requests, options.connections),
      await connectRuns(bare, productId, options.requests, options.connections),
    );
    return {
      name: `Connect unary GetProduct, ${options.connections} callers`,
      value: measuredEcom.perSecond,
      limit: measuredBare.perSecond,
      unit: "calls/s",
      limitName: "bare connect-node server, same message",
      higherIsBetter: true,
      target: "≥ 85 %",
      met: measuredEcom.perSecond / measuredBare.perSecond >= 0.85,
      cpu: { ecom: formatMicros(measuredEcom.cpuMicros), limit: formatMicros(measuredBare.cpuMicros) },
    };
  } finally {
    await bare.close();
  }
}

/** The Connect figure alone (`npm run bench -- connect`): quicker to repeat than the whole gateway part. */
export async function benchConnect(options: { connections: number; requests: number }): Promise<Figure[]> {
  const ecom = await forkServer({ server: "platform" });
  try {
    return [await connectFigure(ecom, await firstProductId(ecom.url), options)];
  } finally {
    await ecom.close();
  }
}
