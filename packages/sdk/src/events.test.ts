import { describe, expect, it } from "vitest";
import { SdkErrorCode } from "./errors.js";
import { isEventOfType, parseEvent, validatePayload } from "./events.js";
import { messageRegistry } from "./gen/registry.js";

const [type, entry] = Object.entries(messageRegistry).find(([, candidate]) => candidate.example)!;
const example = { ...(entry.example!.headers as object), payload: entry.example!.payload } as Record<string, unknown>;

describe("parseEvent", () => {
  it("returns a valid message from JSON text, narrowed by its type", () => {
    const { data, error } = parseEvent(JSON.stringify(example));
    expect(error).toBeUndefined();
    expect(data?.eventType).toBe(type);
    expect(isEventOfType(data!, type as never)).toBe(true);
  });

  it.each([
    ["text that is not JSON", "{not json", SdkErrorCode.malformed],
    ["an array", [], SdkErrorCode.malformed],
    ["an envelope without an eventId", { ...example, eventId: undefined }, SdkErrorCode.invalidEnvelope],
    ["an envelope with an unknown field", { ...example, surprise: true }, SdkErrorCode.invalidEnvelope],
    [
      "an unknown event type",
      { ...example, eventType: "ecommerce.nowhere.thing.happened.v1" },
      SdkErrorCode.unknownType,
    ],
    ["a payload that misses its schema", { ...example, payload: {} }, SdkErrorCode.invalidPayload],
  ])("rejects %s with a stable code", (_name, input, code) => {
    const { data, error } = parseEvent(input);
    expect(data).toBeUndefined();
    expect(error?.code).toBe(code);
  });

  it("names where a payload is wrong", () => {
    const { error } = parseEvent({ ...example, payload: {} });
    expect(error?.issues.length).toBeGreaterThan(0);
    expect(error?.issues[0]?.pointer).toMatch(/^\/payload/);
  });
});

describe("validatePayload", () => {
  it("returns no issues for the contract's example and some for an empty object", () => {
    expect(validatePayload(type as never, entry.example!.payload)).toEqual([]);
    expect(validatePayload(type as never, {})).not.toEqual([]);
  });
});

describe("parseEvent with unknownProperties: drop (a tolerant reader)", () => {
  const newer = { ...example, routing: "eu-west", payload: { ...(example.payload as object), addedInV1_1: true } };

  it("rejects unknown properties by default", () => {
    expect(parseEvent(newer).error?.code).toBe(SdkErrorCode.invalidEnvelope);
  });

  it("drops them and accepts the rest, without touching the input", () => {
    const { data, error } = parseEvent(newer, { unknownProperties: "drop" });
    expect(error).toBeUndefined();
    expect(data).not.toHaveProperty("routing");
    expect(data?.payload).not.toHaveProperty("addedInV1_1");
    expect(data?.eventId).toBe(example.eventId);
    expect(newer.payload).toHaveProperty("addedInV1_1");
  });

  it("still rejects a payload that breaks the schema otherwise", () => {
    const broken = { ...newer, payload: { addedInV1_1: true } };
    expect(parseEvent(broken, { unknownProperties: "drop" }).error?.code).toBe(SdkErrorCode.invalidPayload);
  });
});
