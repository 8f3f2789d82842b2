import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { compatRules } from "./rule-catalog.js";

type Json = Record<string, unknown>;

const payload = (properties: Json, required: string[] = Object.keys(properties)) => ({
  type: "object",
  additionalProperties: false,
  required,
  properties,
});
const placed = payload({ orderId: { type: "string" }, total: { type: "integer", minimum: 0 } });

interface ChannelSpec {
  readonly address: string;
  readonly action?: "send" | "receive";
  readonly payload?: unknown;
  readonly name?: string;
  readonly contentType?: string;
  readonly operationId?: string;
  /** Extra messages on the channel, by key. */
  readonly more?: Record<string, Json>;
}

/** An AsyncAPI 3.0 document of the `order` context: one channel, message and operation per spec, keyed by id. */
function doc(channels: Record<string, ChannelSpec>, root: Json = {}): Json {
  const result: Json = {
    asyncapi: "3.0.0",
    info: { title: "order events", version: "1.0.0" },
    defaultContentType: "application/json",
    ...root,
  };
  const channelMap: Json = {};
  const operations: Json = {};
  const messages: Json = {};
  for (const [id, spec] of Object.entries(channels)) {
    const message = id.charAt(0).toUpperCase() + id.slice(1);
    channelMap[id] = {
      address: spec.address,
      messages: { [id]: { $ref: `#/components/messages/${message}` }, ...(spec.more ?? {}) },
    };
    operations[spec.operationId ?? `on${message}`] = {
      action: spec.action ?? "send",
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
    };
    messages[message] = {
      name: spec.name ?? spec.address,
      ...(spec.contentType ? { contentType: spec.contentType } : {}),
      headers: { $ref: "../common/schemas.yaml#/EventEnvelope" },
      payload: spec.payload ?? placed,
    };
  }
  return { ...result, channels: channelMap, operations, components: { messages } };
}

const envelope = (required: string[]) => ({
  EventEnvelope: payload(
    { eventId: { type: "string" }, eventType: { type: "string" }, traceId: { type: "string" } },
    required,
  ),
});

const contexts = {
  version: 1,
  contexts: {
    order: { publishes: ["ecommerce.order.order.placed.v1"], handles: ["ecommerce.order.order.cancel.v1"] },
    notification: { subscribes: ["ecommerce.order.order.placed.v1"] },
    analytics: { subscribes: ["ecommerce.order.order.placed.v1", "ecommerce.order.order.placed.v2"] },
    support: { sends: ["ecommerce.order.order.cancel.v1"] },
  },
};

const placedV1: ChannelSpec = { address: "ecommerce.order.order.placed.v1" };
const cancelV1: ChannelSpec = { address: "ecommerce.order.order.cancel.v1", action: "receive" };

interface Case {
  readonly base: Json;
  readonly head: Json;
  readonly envelope?: { readonly base: Json; readonly head: Json };
  /** `"<severity> <rule id>"` of every finding. */
  readonly want: readonly string[];
  /** Consumers named by the breaking findings. */
  readonly consumers?: readonly string[];
  /** Text every breaking finding's message contains. */
  readonly advice?: string;
}

const cases: [string, Case][] = [
  [
    "a channel removed",
    {
      base: doc({ placed: placedV1, cancel: cancelV1 }),
      head: doc({ cancel: cancelV1 }),
      want: ["breaking asyncapi/channel-removed"],
      consumers: ["analytics", "notification"],
    },
  ],
  [
    "a channel added",
    {
      base: doc({ placed: placedV1 }),
      head: doc({ placed: placedV1, cancel: cancelV1 }),
      want: ["info asyncapi/channel-added"],
    },
  ],
  [
    "a .v2 event published beside the .v1 (the versioning rule's way: not breaking)",
    {
      base: doc({ placed: placedV1 }),
      head: doc({
        placed: placedV1,
        placedV2: { address: "ecommerce.order.order.placed.v2", payload: payload({ orderId: { type: "string" } }) },
      }),
      want: ["info asyncapi/event-version-added"],
    },
  ],
  [
    "a .v1 event replaced by its .v2",
    {
      base: doc({ placed: placedV1 }),
      head: doc({ placedV2: { address: "ecommerce.order.order.placed.v2" } }),
      // Not "beside": the .v1 is gone, so its consumers break.
      want: ["breaking asyncapi/channel-removed", "info asyncapi/channel-added"],
      consumers: ["analytics", "notification"],
      advice: "Keep ecommerce.order.order.placed.v1 published beside ecommerce.order.order.placed.v2",
    },
  ],
  [
    "a breaking payload change to a published .v1 event",
    {
      base: doc({ placed: placedV1 }),
      head: doc({ placed: { ...placedV1, payload: payload({ orderId: { type: "string" } }) } }),
      want: ["breaking asyncapi/response-required-property-removed"],
      consumers: ["analytics", "notification"],
      advice: "Publish ecommerce.order.order.placed.v2 beside ecommerce.order.order.placed.v1 instead",
    },
  ],
  [
    "a field added to a published event's closed payload",
    {
      base: doc({ placed: placedV1 }),
      head: doc({
        placed: {
          ...placedV1,
          payload: payload(
            { orderId: { type: "string" }, total: { type: "integer", minimum: 0 }, note: { type: "string" } },
            ["orderId", "total"],
          ),
        },
      }),
      want: ["warning asyncapi/response-property-added"],
    },
  ],
  [
    "a received command made stricter (request rules)",
    {
      base: doc({ cancel: cancelV1 }),
      head: doc({
        cancel: {
          ...cancelV1,
          payload: payload({ orderId: { type: "string" }, total: { type: "integer", minimum: 1 } }),
        },
      }),
      want: ["breaking asyncapi/request-constraint-tightened"],
      consumers: ["support"],
      advice: "Publish ecommerce.order.order.cancel.v2",
    },
  ],
  [
    "a received command made looser (request rules: not breaking)",
    {
      base: doc({ cancel: cancelV1 }),
      head: doc({
        cancel: { ...cancelV1, payload: payload({ orderId: { type: "string" }, total: { type: "integer" } }) },
      }),
      want: ["info asyncapi/request-constraint-loosened"],
    },
  ],
  [
    "a channel's address changed",
    {
      base: doc({ placed: placedV1 }),
      head: doc({
        placed: { ...placedV1, address: "ecommerce.order.order.submitted.v1", name: "ecommerce.order.order.placed.v1" },
      }),
      want: ["breaking asyncapi/channel-address-changed"],
      consumers: ["analytics", "notification"],
    },
  ],
  [
    "an operation removed from a channel that stays",
    {
      base: doc({ placed: placedV1 }),
      head: { ...doc({ placed: placedV1 }), operations: {} },
      want: ["breaking asyncapi/operation-removed"],
    },
  ],
  [
    "an operation added to a channel",
    {
      base: { ...doc({ placed: placedV1 }), operations: {} },
      head: doc({ placed: placedV1 }),
      want: ["info asyncapi/operation-added"],
    },
  ],
  [
    "an operation's action changed",
    {
      base: doc({ cancel: cancelV1 }),
      head: doc({ cancel: { ...cancelV1, action: "send" } }),
      want: ["breaking asyncapi/operation-action-changed"],
    },
  ],
  [
    "an operation moved to another channel",
    {
      base: doc({ placed: placedV1, cancel: { ...cancelV1, action: "send" } }),
      head: {
        ...doc({ placed: placedV1, cancel: { ...cancelV1, action: "send" } }),
        operations: {
          onPlaced: { action: "send", channel: { $ref: "#/channels/cancel" } },
          onCancel: { action: "send", channel: { $ref: "#/channels/cancel" } },
        },
      },
      want: ["breaking asyncapi/operation-channel-changed"],
    },
  ],
  [
    "a message removed from a channel",
    {
      base: doc({ placed: { ...placedV1, more: { legacy: { name: "legacy", payload: { type: "object" } } } } }),
      head: doc({ placed: placedV1 }),
      want: ["breaking asyncapi/message-removed"],
    },
  ],
  [
    "a message added to a channel a context sends on",
    {
      base: doc({ placed: placedV1 }),
      head: doc({ placed: { ...placedV1, more: { extra: { name: "extra", payload: { type: "object" } } } } }),
      want: ["breaking asyncapi/response-message-added"],
    },
  ],
  [
    "a message added to a channel a context receives on",
    {
      base: doc({ cancel: cancelV1 }),
      head: doc({ cancel: { ...cancelV1, more: { extra: { name: "extra", payload: { type: "object" } } } } }),
      want: ["info asyncapi/request-message-added"],
    },
  ],
  [
    "a message's name (its event type) changed",
    {
      base: doc({ placed: placedV1 }),
      head: doc({ placed: { ...placedV1, name: "ecommerce.order.order.placed" } }),
      want: ["breaking asyncapi/message-name-changed"],
    },
  ],
  [
    "a message's content type changed",
    {
      base: doc({ placed: placedV1 }),
      head: doc({ placed: { ...placedV1, contentType: "application/avro" } }),
      want: ["breaking asyncapi/content-type-changed"],
    },
  ],
  [
    "the document's default content type changed",
    {
      base: doc({ placed: placedV1 }),
      head: doc({ placed: placedV1 }, { defaultContentType: "application/cloudevents+json" }),
      want: ["breaking asyncapi/content-type-changed"],
    },
  ],
  [
    "a field dropped from the shared envelope (message headers)",
    {
      base: doc({ placed: placedV1, cancel: cancelV1 }),
      head: doc({ placed: placedV1, cancel: cancelV1 }),
      envelope: { base: envelope(["eventId", "eventType", "traceId"]), head: envelope(["eventId", "eventType"]) },
      // One finding per side: published events follow the response rules, received commands the request rules.
      want: ["breaking asyncapi/response-property-became-optional", "info asyncapi/request-property-became-optional"],
      consumers: ["analytics", "notification"],
    },
  ],
  [
    "only descriptions and examples edited",
    {
      base: doc({ placed: placedV1 }, { info: { title: "order events", version: "1.0.0", description: "old" } }),
      head: doc({ placed: placedV1 }, { info: { title: "order events", version: "1.0.0", description: "new" } }),
      want: ["info asyncapi/docs-changed"],
    },
  ],
];

async function compare(testCase: Case) {
  const files = (document: Json, shared: Json) => ({
    "contexts.yaml": stringify(contexts),
    "asyncapi/order.yaml": stringify(document),
    "common/schemas.yaml": stringify(shared),
  });
  const shared = testCase.envelope ?? { base: envelope(["eventId"]), head: envelope(["eventId"]) };
  return compareContracts({
    base: createMemoryFiles(files(testCase.base, shared.base)),
    head: createMemoryFiles(files(testCase.head, shared.head)),
  });
}

describe("AsyncAPI rules", () => {
  it.each(cases)("%s", async (_name, testCase) => {
    const report = await compare(testCase);
    expect(report.findings.map((finding) => `${finding.severity} ${finding.ruleId}`).sort()).toEqual(
      [...testCase.want].sort(),
    );
    const breaking = report.findings.filter((finding) => finding.severity === "breaking");
    if (testCase.consumers) {
      for (const finding of breaking) expect(finding.consumers).toEqual(testCase.consumers);
    }
    if (testCase.advice) {
      for (const finding of breaking) expect(finding.message).toContain(testCase.advice);
    }
  });

  it("covers every AsyncAPI rule of channels, operations and messages", () => {
    const covered = new Set(cases.flatMap(([, { want }]) => want.map((entry) => entry.split(" ")[1])));
    const schemaRule =
      /^asyncapi\/(request|response)-(required-property|property|enum|type|nullable|constraint|one-of|any-of|default|keyword|unresolved)/;
    const missing = compatRules
      // The SDK-surface rules have their own table (sdk-surface-compat.test.ts).
      .filter((rule) => rule.kind === "asyncapi" && !schemaRule.test(rule.id) && !rule.id.includes("/sdk-"))
      .map((rule) => rule.id)
      .filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });

  it("names the envelope change once with every message that carries it", async () => {
    const report = await compare(
      cases.find(([name]) => name.startsWith("a field dropped from the shared envelope"))?.[1] as Case,
    );
    const published = report.findings.find(
      (finding) => finding.ruleId === "asyncapi/response-property-became-optional",
    );
    expect(published).toMatchObject({ file: "common/schemas.yaml", pointer: "/EventEnvelope/properties/traceId" });
    expect(published?.message).toBe(
      "EventEnvelope.traceId: no longer required (in ecommerce.order.order.placed.v1 headers) Publish ecommerce.order.order.placed.v2 beside ecommerce.order.order.placed.v1 instead: a breaking change is never an edit of a published version.",
    );
  });
});
