import type { ResolvedRef } from "../../source/contract-set.js";
import { contextOfFile } from "../../source/contract-set.js";
import { child, entries, isNode, items, rootOf } from "../contract-walk.js";
import type { LintContext, LintRule } from "../lint-rule.js";
import { describeError, isMissingReference, SchemaValidators } from "../schema-validators.js";

/**
 * `mqtt/<context>.yaml`: AsyncAPI 3 documents of what devices publish over MQTT for a context (contracts/README).
 * They are not bus contracts (no envelope, topic addresses), so the AsyncAPI rules above skip them and these check
 * what the simulator's MQTT feed relies on.
 */
const isMqttDocument = (path: string) => /^mqtt\/[^/]+\.ya?ml$/.test(path);

function mqttDocuments(context: LintContext): string[] {
  return [...context.set.shared.keys()].filter(isMqttDocument);
}

const PARAMETER = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/;

/** `mqtt/feed-channel`: topics, parameters, QoS and the command each channel becomes. */
export const mqttFeedChannel: LintRule = {
  id: "mqtt/feed-channel",
  severity: "error",
  checks:
    "Each `mqtt/<context>.yaml` is AsyncAPI 3 for a context of contexts.yaml; each channel's address is a topic whose `{parameters}` are whole levels, all declared (and no others), and names in `x-ecom-command` a command that context handles; each operation is a `receive` with MQTT binding `qos: 1`.",
  fix: "Name the file after the context, write the topic with `{name}` levels declared under `parameters`, set `x-ecom-command` to a command in the context's `handles`, and give the operation `bindings: { mqtt: { qos: 1 } }`.",
  check(context, report) {
    const map = context.contextMap();
    for (const file of mqttDocuments(context)) {
      const root = rootOf(context, file);
      const version = isNode(root.value) ? root.value.asyncapi : undefined;
      if (typeof version !== "string" || !version.startsWith("3.")) {
        report({ file, pointer: "" }, "this MQTT contract is not AsyncAPI 3; start it with `asyncapi: 3.0.0`");
        continue;
      }
      const owner = contextOfFile(file);
      const entry = map?.contexts.get(owner);
      if (map && !entry) {
        report(
          { file, pointer: "" },
          `contexts.yaml has no context ${owner}; name the file after the receiving context`,
        );
      }
      const handled = new Set(entry?.handles.map((command) => command.value) ?? []);
      const channels = entries(child(root, "channels"));
      if (channels.length === 0) report({ file, pointer: "" }, "this MQTT contract has no channels; add the topic");
      for (const [name, raw] of channels) {
        const channel = context.deref(raw);
        if (!channel || !isNode(channel.value)) continue;
        checkTopic(channel, name, report);
        const command = channel.value["x-ecom-command"];
        const commandAt = { file: channel.file, pointer: `${channel.pointer}/x-ecom-command` };
        if (typeof command !== "string")
          report(
            { file: channel.file, pointer: channel.pointer },
            `channel ${name} names no x-ecom-command; name the command its messages become`,
          );
        else if (entry && !handled.has(command))
          report(commandAt, `${command} is not in contexts.${owner}.handles; name a command ${owner} handles`);
      }
      for (const [name, raw] of entries(child(root, "operations"))) {
        const operation = context.deref(raw);
        if (!operation || !isNode(operation.value)) continue;
        if (operation.value.action !== "receive")
          report(
            { file: operation.file, pointer: `${operation.pointer}/action` },
            `operation ${name} must be a receive: devices publish, the platform receives`,
          );
        const qos = child(operation, "bindings", "mqtt", "qos");
        if (qos.value !== 1)
          report(
            { file: operation.file, pointer: qos.value === undefined ? operation.pointer : qos.pointer },
            `operation ${name} must set bindings.mqtt.qos: 1 (at least once; reports are de-duplicated by device and sequence)`,
          );
      }
    }
  },
};

function checkTopic(channel: ResolvedRef, name: string, report: Parameters<LintRule["check"]>[1]): void {
  const address = isNode(channel.value) ? channel.value.address : undefined;
  const at = { file: channel.file, pointer: `${channel.pointer}/address` };
  if (typeof address !== "string" || address === "") {
    report({ file: channel.file, pointer: channel.pointer }, `channel ${name} has no address; give it its MQTT topic`);
    return;
  }
  const used = new Set<string>();
  for (const level of address.split("/")) {
    const parameter = PARAMETER.exec(level)?.[1];
    if (parameter) used.add(parameter);
    else if (/[{}+#]/.test(level))
      report(
        at,
        `topic ${address}: "${level}" is neither a plain level nor a whole {parameter}; wildcards are the subscriber's`,
      );
  }
  const declared = new Set(entries(child(channel, "parameters")).map(([parameter]) => parameter));
  for (const parameter of used)
    if (!declared.has(parameter)) report(at, `topic ${address} uses {${parameter}}; declare it under parameters`);
  for (const parameter of declared)
    if (!used.has(parameter))
      report(
        { file: channel.file, pointer: `${channel.pointer}/parameters/${parameter}` },
        `parameter ${parameter} is not in the topic ${address}; remove it or use it`,
      );
}

/** `mqtt/example`: every message has examples, and each example's payload matches the message's payload schema. */
export const mqttExample: LintRule = {
  id: "mqtt/example",
  severity: "error",
  checks:
    "Every message of an `mqtt/<context>.yaml` has a `payload` schema and at least one example, and every example's payload validates against it (draft-07, with ajv).",
  fix: "Add `examples:` with a realistic `payload` to the message, or fix the example or the schema.",
  check(context, report) {
    const validators = new SchemaValidators(context);
    for (const file of mqttDocuments(context)) {
      for (const [name, raw] of entries(child(rootOf(context, file), "components", "messages"))) {
        const message = context.deref(raw);
        if (!message || !isNode(message.value)) continue;
        const payload = context.deref(child(message, "payload"));
        if (!payload) {
          report({ file: message.file, pointer: message.pointer }, `message ${name} has no payload schema; add one`);
          continue;
        }
        const examples = items(child(message, "examples"));
        if (examples.length === 0)
          report(
            { file: message.file, pointer: message.pointer },
            `message ${name} has no example; add examples with a payload`,
          );
        const validator = validators.get("draft-07", payload);
        if (validator instanceof Error) {
          if (!isMissingReference(validator))
            report(
              { file: payload.file, pointer: payload.pointer },
              `the payload schema of ${name} does not compile (${validator.message})`,
            );
          continue;
        }
        for (const [index, example] of examples.entries()) {
          const value = child(example, "payload");
          if (value.value === undefined) {
            report(
              { file: example.file, pointer: example.pointer },
              `example ${index} of ${name} has no payload; add one`,
            );
            continue;
          }
          if (validator(value.value)) continue;
          const details = (validator.errors ?? []).slice(0, 3).map(describeError).join("; ");
          report(
            { file: value.file, pointer: value.pointer + (validator.errors?.[0]?.instancePath ?? "") },
            `example ${index} of ${name} does not match its payload schema: ${details}; fix the example or the schema`,
          );
        }
      }
    }
  },
};
