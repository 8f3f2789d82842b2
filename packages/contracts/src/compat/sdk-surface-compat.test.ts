import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { compatRules } from "./rule-catalog.js";

type Json = Record<string, unknown>;

const json = (schema: unknown) => ({ "application/json": { schema } });
const cartSchema = { type: "object", additionalProperties: false, properties: { id: { type: "string" } } };
const bodySchema = (extra: Json = {}, required: string[] = ["quantity"]) => ({
  type: "object",
  additionalProperties: false,
  required,
  properties: { quantity: { type: "integer" }, ...extra },
});

/** An OpenAPI document with one GET and one POST, the given schemas, tags and webhooks. */
const openapi = (options: { getId?: string; schemas?: Json; body?: Json; tags?: string[]; webhooks?: Json }): Json => ({
  openapi: "3.1.0",
  info: { title: "shop", version: "1.0.0" },
  ...(options.tags ? { tags: options.tags.map((name) => ({ name })) } : {}),
  paths: {
    "/carts/{cartId}": {
      get: {
        operationId: options.getId ?? "getCart",
        responses: { "200": { description: "ok", content: json({ $ref: "#/components/schemas/Cart" }) } },
      },
      post: {
        operationId: "addItem",
        requestBody: { required: true, content: json(options.body ?? bodySchema()) },
        responses: { "204": { description: "added" } },
      },
    },
  },
  ...(options.webhooks ? { webhooks: options.webhooks } : {}),
  components: { schemas: options.schemas ?? { Cart: cartSchema } },
});

const webhook = (payload: Json) => ({
  orderShipped: {
    post: {
      operationId: "receiveOrderShipped",
      requestBody: { required: true, content: json(payload) },
      responses: { "200": { description: "accepted" } },
    },
  },
});

const event = (properties: Json, required: string[] = ["orderId"]) => ({
  asyncapi: "3.0.0",
  info: { title: "shop", version: "1.0.0" },
  channels: {
    shipped: {
      address: "ecommerce.shop.order.shipped.v1",
      messages: { shipped: { $ref: "#/components/messages/Shipped" } },
    },
  },
  operations: {
    publishShipped: {
      action: "send",
      channel: { $ref: "#/channels/shipped" },
      messages: [{ $ref: "#/channels/shipped/messages/shipped" }],
    },
  },
  components: {
    messages: {
      Shipped: { name: "ecommerce.shop.order.shipped.v1", payload: { $ref: "#/components/schemas/ShippedPayload" } },
    },
    schemas: { ShippedPayload: { type: "object", additionalProperties: false, required, properties } },
  },
});

interface Case {
  readonly base: Record<string, Json>;
  readonly head: Record<string, Json>;
  /** `"<severity> <rule id>"` of every finding that is not documentation-only. */
  readonly want: readonly string[];
}

const shop = (document: Json) => ({ "openapi/shop.yaml": document });

const cases: [string, Case][] = [
  // The SDK surface, both directions: a renamed name breaks SDK users; the same name with other docs does not.
  [
    "an operationId renamed renames the generated client method",
    {
      base: shop(openapi({})),
      head: shop(openapi({ getId: "fetchCart" })),
      want: ["breaking openapi/sdk-operation-renamed"],
    },
  ],
  ["an operationId kept is no change", { base: shop(openapi({})), head: shop(openapi({})), want: [] }],
  [
    "an operation moved to another context's file renames its client",
    {
      base: shop(openapi({})),
      head: { "openapi/store.yaml": openapi({}) },
      want: [
        "breaking openapi/sdk-operation-renamed",
        "breaking openapi/sdk-operation-renamed",
        "breaking openapi/sdk-schema-removed",
      ],
    },
  ],
  [
    "a schema renamed with the same shape is an SDK break, not a wire change",
    {
      base: shop(openapi({})),
      head: shop(
        (() => {
          const document = openapi({ schemas: { ShoppingCart: cartSchema } });
          const paths = document.paths as Json;
          const get = (paths["/carts/{cartId}"] as Json).get as Json;
          get.responses = {
            "200": { description: "ok", content: json({ $ref: "#/components/schemas/ShoppingCart" }) },
          };
          return document;
        })(),
      ),
      want: ["breaking openapi/sdk-schema-renamed"],
    },
  ],
  [
    "a schema added keeps every old name",
    {
      base: shop(openapi({})),
      head: shop(openapi({ schemas: { Cart: cartSchema, Item: cartSchema } })),
      want: [],
    },
  ],
  [
    "a schema removed from components removes its generated type",
    {
      base: shop(openapi({ schemas: { Cart: cartSchema, Item: { type: "string" } } })),
      head: shop(openapi({})),
      want: ["breaking openapi/sdk-schema-removed"],
    },
  ],
  [
    "a shared schema renamed renames the type lifted into every document",
    {
      base: { ...shop(openapi({})), "common/schemas.yaml": { Money: { type: "integer" } } },
      head: { ...shop(openapi({})), "common/schemas.yaml": { Amount: { type: "integer" } } },
      want: ["breaking openapi/sdk-schema-renamed"],
    },
  ],
  [
    "an event payload schema renamed is an SDK break of the message types",
    {
      base: { "asyncapi/shop.yaml": event({ orderId: { type: "string" } }) },
      head: {
        "asyncapi/shop.yaml": (() => {
          const document = event({ orderId: { type: "string" } }) as { components: Json };
          const schemas = document.components.schemas as Json;
          document.components.schemas = { OrderShippedPayload: schemas.ShippedPayload };
          (document.components.messages as Json).Shipped = {
            name: "ecommerce.shop.order.shipped.v1",
            payload: { $ref: "#/components/schemas/OrderShippedPayload" },
          };
          return document;
        })(),
      },
      want: ["breaking asyncapi/sdk-schema-renamed"],
    },
  ],
  [
    "an unused event schema removed still removes its generated type",
    {
      base: {
        "asyncapi/shop.yaml": (() => {
          const document = event({ orderId: { type: "string" } }) as { components: { schemas: Json } };
          document.components.schemas.Carrier = { type: "string" };
          return document;
        })(),
      },
      head: { "asyncapi/shop.yaml": event({ orderId: { type: "string" } }) },
      want: ["breaking asyncapi/sdk-schema-removed"],
    },
  ],
  [
    "a tag renamed names nothing in the SDK",
    {
      base: shop(openapi({ tags: ["carts"] })),
      head: shop(openapi({ tags: ["baskets"] })),
      want: ["info openapi/tag-renamed"],
    },
  ],
  // Added properties: harmless in what clients send, a warning in what an application receives (closed objects).
  [
    "an optional property added to a request body does not fail the gate",
    {
      base: shop(openapi({})),
      head: shop(openapi({ body: bodySchema({ note: { type: "string" } }) })),
      want: ["info openapi/request-property-added"],
    },
  ],
  [
    "a required property added to a request body breaks old clients",
    {
      base: shop(openapi({})),
      head: shop(openapi({ body: bodySchema({ note: { type: "string" } }, ["quantity", "note"]) })),
      want: ["breaking openapi/request-required-property-added"],
    },
  ],
  [
    "an optional property added to a webhook payload warns strict receivers",
    {
      base: shop(openapi({ webhooks: webhook(bodySchema()) })),
      head: shop(openapi({ webhooks: webhook(bodySchema({ note: { type: "string" } })) })),
      want: ["warning openapi/response-property-added"],
    },
  ],
  [
    "a required property removed from a webhook payload breaks receivers",
    {
      base: shop(openapi({ webhooks: webhook(bodySchema()) })),
      head: shop(openapi({ webhooks: webhook(bodySchema({}, [])) })),
      want: ["breaking openapi/response-property-became-optional"],
    },
  ],
  [
    "a webhook removed breaks its receivers",
    {
      base: shop(openapi({ webhooks: webhook(bodySchema()) })),
      head: shop(openapi({})),
      want: ["breaking openapi/webhook-removed"],
    },
  ],
  [
    "a webhook added is info",
    {
      base: shop(openapi({})),
      head: shop(openapi({ webhooks: webhook(bodySchema()) })),
      want: ["info openapi/webhook-added"],
    },
  ],
  [
    "an optional property added to an event payload warns strict consumers",
    {
      base: { "asyncapi/shop.yaml": event({ orderId: { type: "string" } }) },
      head: { "asyncapi/shop.yaml": event({ orderId: { type: "string" }, note: { type: "string" } }) },
      want: ["warning asyncapi/response-property-added"],
    },
  ],
];

const text = (files: Record<string, Json>) =>
  Object.fromEntries(Object.entries(files).map(([path, document]) => [path, stringify(document)]));

describe("compat of the SDK surface and of added properties", () => {
  it.each(cases)("%s", async (_name, testCase) => {
    const report = await compareContracts({
      base: createMemoryFiles(text(testCase.base)),
      head: createMemoryFiles(text(testCase.head)),
    });
    const found = report.findings
      .filter((finding) => !finding.ruleId.endsWith("/docs-changed"))
      .filter((finding) => !/\/(path|operation)-(added|removed)$/.test(finding.ruleId))
      .map((finding) => `${finding.severity} ${finding.ruleId}`);
    expect(found.sort()).toEqual([...testCase.want].sort());
  });

  it("covers every SDK-surface and webhook rule", () => {
    const covered = new Set(cases.flatMap(([, { want }]) => want.map((entry) => entry.split(" ")[1])));
    const missing = compatRules
      .filter((rule) => /\/(sdk-|tag-|webhook-)/.test(rule.id))
      .map((rule) => rule.id)
      .filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });

  it("names the old and the new SDK method of a renamed operation", async () => {
    const report = await compareContracts({
      base: createMemoryFiles(text(shop(openapi({})))),
      head: createMemoryFiles(text(shop(openapi({ getId: "fetchCart" })))),
      fileRoot: "contracts",
    });
    expect(report.findings[0]).toMatchObject({
      ruleId: "openapi/sdk-operation-renamed",
      file: "contracts/openapi/shop.yaml",
      pointer: "/paths/~1carts~1{cartId}/get/operationId",
    });
    expect(report.findings[0]?.message).toContain("clients.shop.getCart becomes clients.shop.fetchCart");
  });
});
