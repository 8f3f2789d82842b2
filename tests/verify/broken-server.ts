import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/*
 * A server for the fixture contracts in __fixtures__/shop that breaks them in ten ways, one per operation or
 * stream, so that a test can check `ecom verify` reports each:
 *   ping          wrong status (204 where 200 is documented)
 *   getItem       a required response field missing (name)
 *   listItems     a field of the wrong type (price as a string)
 *   createOrder   500 on bad input
 *   createNote    2xx on bad input
 *   getPrice      an error that is not problem+json
 *   deleteItem    an undocumented status (418)
 *   createItem    a Location that names nothing
 *   /_sim/events  an event whose payload misses a required field
 *   GetItem       `internal` for an invalid message instead of `invalid_argument`
 * and ChargeItem, internal-only, serves an outside caller instead of refusing it.
 */

const problem = (response: ServerResponse, status: number, type = "application/problem+json") => {
  response.writeHead(status, { "content-type": type });
  response.end(JSON.stringify({ type: "https://shop.invalid/problems/x", title: "no", status }));
};

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body));
};

/** Whether `body` is a valid NewItem of the fixture contract. */
function isNewItem(body: unknown): boolean {
  if (body === null || typeof body !== "object" || Array.isArray(body)) return false;
  const item = body as Record<string, unknown>;
  if (Object.keys(item).some((key) => !["name", "price", "kind"].includes(key))) return false;
  if (typeof item.name !== "string" || item.name.length < 1 || item.name.length > 20) return false;
  if (typeof item.price !== "number" || !Number.isInteger(item.price) || item.price < 0 || item.price > 1000)
    return false;
  return item.kind === undefined || item.kind === "BOOK" || item.kind === "EBOOK";
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString() || "null");
  } catch {
    return undefined;
  }
}

async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://localhost");
  const route = `${request.method} ${url.pathname}`;
  const body = request.method === "POST" ? await readJson(request) : undefined;
  if (route === "GET /ping") return void response.writeHead(204).end();
  if (route === "GET /items") return json(response, 200, { items: [{ id: "itm_1", name: "Dune", price: "12" }] });
  if (route === "POST /items") {
    if (!isNewItem(body)) return problem(response, 400);
    return json(response, 201, { id: "itm_1", name: "Dune", price: 12 }, { location: "/nowhere/itm_1" });
  }
  if (request.method === "GET" && url.pathname.startsWith("/items/"))
    return json(response, 200, { id: "itm_1", price: 12 });
  if (request.method === "DELETE" && url.pathname.startsWith("/items/")) return problem(response, 418);
  if (route === "POST /orders")
    return isNewItem(body) ? json(response, 202, { accepted: true }) : problem(response, 500);
  if (route === "POST /notes") return json(response, 202, { accepted: true });
  if (request.method === "GET" && url.pathname.startsWith("/prices/"))
    return problem(response, 404, "application/json");
  if (route === "POST /ecom.shop.v1.ShopService/GetItem") {
    const itemId = (body as Record<string, unknown> | undefined)?.itemId;
    if (itemId !== undefined && typeof itemId !== "string")
      return json(response, 500, { code: "internal", message: "boom" });
    return json(response, 200, { itemId: itemId ?? "", name: "Dune" });
  }
  if (route === "POST /ecom.shop.v1.ShopService/ChargeItem") return json(response, 200, { charged: true });
  if (route === "GET /_sim/events") {
    response.writeHead(200, { "content-type": "text/event-stream" });
    const event = (payload: unknown, id: string) =>
      `id: ${id}\ndata: ${JSON.stringify({ eventId: id, eventType: "ecommerce.shop.item.created.v1", payload })}\n\n`;
    response.write(event({ itemId: "itm_1", name: "Dune" }, "evt_1"));
    response.end(event({ itemId: "itm_2" }, "evt_2"));
    return;
  }
  json(response, 404, { code: "not_found" });
}

/** Start the broken server on a free port; resolves to its base URL and a way to stop it. */
export async function startBrokenServer(): Promise<{ url: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    handle(request, response).catch(() => problem(response, 500));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
