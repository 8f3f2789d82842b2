import { pointerSegments } from "../../source/yaml-document.js";
import { asyncApiMessages, child, isNode } from "../contract-walk.js";
import type { LintRule } from "../lint-rule.js";

/** The envelope fields of DESIGN.md (Messages), on every event; only `causationId` may be absent. */
const envelopeFields = [
  "eventId",
  "eventType",
  "occurredAt",
  "producer",
  "traceId",
  "correlationId",
  "causationId",
  "schemaVersion",
  "partitionKey",
] as const;
const optionalFields: ReadonlySet<string> = new Set(["causationId"]);

/** `asyncapi/envelope`: every message's headers reference the one shared EventEnvelope, which has every field. */
export const asyncapiEnvelope: LintRule = {
  id: "asyncapi/envelope",
  severity: "error",
  checks:
    "Every AsyncAPI message's `headers` is a `$ref` to the shared `EventEnvelope` (defined once in common/, not copied), and that envelope has the design's fields, all required but `causationId`.",
  fix: 'Write `headers: { $ref: "../common/schemas.yaml#/EventEnvelope" }` on the message; add missing fields to the shared envelope.',
  check(context, report) {
    const envelopes = new Map<string, { file: string; pointer: string; value: unknown }>();
    for (const { message } of asyncApiMessages(context)) {
      const headers = child(message, "headers");
      const name =
        isNode(message.value) && typeof message.value.name === "string" ? message.value.name : "this message";
      const reference = isNode(headers.value) ? headers.value.$ref : undefined;
      if (typeof reference !== "string") {
        report(
          headers.value === undefined
            ? { file: message.file, pointer: message.pointer }
            : { file: headers.file, pointer: headers.pointer },
          `${name} does not reference the shared envelope; write headers: { $ref: "../common/schemas.yaml#/EventEnvelope" }`,
        );
        continue;
      }
      const target = context.deref(headers);
      if (!target) continue; // ref/resolves reports it
      if (target.file === message.file || pointerSegments(target.pointer).at(-1) !== "EventEnvelope") {
        report(
          { file: headers.file, pointer: `${headers.pointer}/$ref` },
          `${name}'s headers point at ${target.file}#${target.pointer}, not the shared EventEnvelope; reference ../common/schemas.yaml#/EventEnvelope`,
        );
        continue;
      }
      envelopes.set(`${target.file}#${target.pointer}`, target);
    }
    for (const envelope of envelopes.values()) {
      if (!isNode(envelope.value)) continue;
      const properties = isNode(envelope.value.properties) ? envelope.value.properties : {};
      const required = Array.isArray(envelope.value.required) ? envelope.value.required : [];
      const missing = envelopeFields.filter((field) => !(field in properties));
      const optional = envelopeFields.filter(
        (field) => !optionalFields.has(field) && field in properties && !required.includes(field),
      );
      if (missing.length > 0) {
        report(
          { file: envelope.file, pointer: envelope.pointer },
          `the event envelope lacks ${missing.join(", ")}; every event carries ${envelopeFields.join(", ")}: add them`,
        );
      }
      if (optional.length > 0) {
        report(
          { file: envelope.file, pointer: `${envelope.pointer}/required` },
          `the event envelope does not require ${optional.join(", ")}; only causationId may be absent: add them to required`,
        );
      }
    }
  },
};
