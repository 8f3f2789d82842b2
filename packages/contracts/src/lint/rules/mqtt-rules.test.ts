import { describe, it } from "vitest";
import {
  edit,
  expectFindings,
  type Files,
  lineOf,
  lintFiles,
  minimal,
  type Want,
} from "../__fixtures__/lint-fixture.js";
import type { LintRule } from "../lint-rule.js";
import { mqttExample, mqttFeedChannel } from "./mqtt-rules.js";

type Case = [string, { given: Files; want: Want[] }];

const FEED = "mqtt/cart.yaml";

/** The minimal fixture with a small, valid MQTT contract: devices ask cart (which handles cart.expire) to act. */
const withFeed: Files = {
  ...minimal,
  [FEED]: `asyncapi: 3.0.0
info: { title: cart device feed, version: 1.0.0 }
channels:
  kioskExpire:
    address: kiosk/{kioskId}/carts/expire
    parameters:
      kioskId: { description: The kiosk. }
    messages:
      kioskExpire: { $ref: "#/components/messages/KioskExpire" }
    x-ecom-command: ecommerce.cart.cart.expire.v1
operations:
  receiveKioskExpire:
    action: receive
    channel: { $ref: "#/channels/kioskExpire" }
    bindings:
      mqtt: { qos: 1 }
components:
  messages:
    KioskExpire:
      payload:
        type: object
        additionalProperties: false
        required: [count]
        properties:
          count: { type: integer, minimum: 1 }
      examples:
        - payload: { count: 2 }
`,
};

const at = (given: Files, needle: string): Want => ({ file: FEED, line: lineOf(given, FEED, needle) });

const table: [LintRule, Case[]][] = [];

{
  const notV3 = edit(withFeed, FEED, "asyncapi: 3.0.0", "asyncapi: 2.6.0");
  const wildcard = edit(withFeed, FEED, "kiosk/{kioskId}/carts/expire", "kiosk/+/carts/expire");
  const undeclared = edit(withFeed, FEED, "kiosk/{kioskId}/carts/expire", "kiosk/{kioskId}/{cartId}/expire");
  const unhandled = edit(
    withFeed,
    FEED,
    "x-ecom-command: ecommerce.cart.cart.expire.v1",
    "x-ecom-command: ecommerce.cart.cart.checked_out.v1",
  );
  const qos0 = edit(withFeed, FEED, "qos: 1", "qos: 0");
  const send = edit(withFeed, FEED, "action: receive", "action: send");
  const strayContext = { ...minimal, "mqtt/warehouse.yaml": withFeed[FEED]! };
  table.push([
    mqttFeedChannel,
    [
      ["a valid MQTT contract passes", { given: withFeed, want: [] }],
      ["a set without MQTT contracts passes", { given: minimal, want: [] }],
      ["an AsyncAPI 2 document is reported", { given: notV3, want: [{ file: FEED, line: 1 }] }],
      [
        "a wildcard in the topic is reported",
        { given: wildcard, want: [at(wildcard, "address:"), at(wildcard, "kioskId: {")] },
      ],
      ["an undeclared topic parameter is reported", { given: undeclared, want: [at(undeclared, "address:")] }],
      [
        "a command the context does not handle is reported",
        { given: unhandled, want: [at(unhandled, "x-ecom-command")] },
      ],
      ["QoS 0 is reported", { given: qos0, want: [at(qos0, "qos: 0")] }],
      ["a send operation is reported", { given: send, want: [at(send, "action: send")] }],
      [
        "a file named after no context is reported",
        { given: strayContext, want: [{ file: "mqtt/warehouse.yaml", line: 1 }] },
      ],
    ],
  ]);
}

{
  const wrongExample = edit(withFeed, FEED, "payload: { count: 2 }", "payload: { count: 0 }");
  const noExample = edit(withFeed, FEED, "      examples:\n        - payload: { count: 2 }\n", "");
  table.push([
    mqttExample,
    [
      ["matching examples pass", { given: withFeed, want: [] }],
      [
        "an example off its schema is reported",
        { given: wrongExample, want: [at(wrongExample, "payload: { count: 0 }")] },
      ],
      ["a message without examples is reported", { given: noExample, want: [at(noExample, "    KioskExpire:")] }],
    ],
  ]);
}

describe.each(table)("$id", (rule, cases) => {
  it.each(cases)("%s", async (_name, { given, want }) => {
    expectFindings(await lintFiles(rule, given), want);
  });
});
