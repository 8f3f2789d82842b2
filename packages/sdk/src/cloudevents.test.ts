import { CloudEvent, HTTP } from "cloudevents";
import { describe, expect, it } from "vitest";
import { fromCloudEvent, toCloudEvent } from "./cloudevents.js";
import { SdkErrorCode } from "./errors.js";
import { parseEvent } from "./events.js";
import { messageRegistry } from "./gen/registry.js";

const examples = Object.values(messageRegistry)
  .filter((entry) => entry.example)
  .map(
    (entry) =>
      [entry.type, { ...(entry.example!.headers as { occurredAt: string }), payload: entry.example!.payload }] as const,
  );

describe("CloudEvents conversion", () => {
  it.each(examples)("round-trips %s exactly through toCloudEvent and fromCloudEvent", (_type, example) => {
    const { data: message } = parseEvent(example);
    expect(fromCloudEvent(toCloudEvent(message!) as never).data).toEqual(message);
  });

  it.each(examples)("round-trips %s without loss through the cloudevents library's HTTP binding", (_type, example) => {
    // The platform writes times as Date#toISOString does; the library normalises `time` to that form as well.
    const canonical = {
      ...example,
      occurredAt: new Date(example.occurredAt).toISOString(),
    };
    const { data: message, error } = parseEvent(canonical);
    expect(error).toBeUndefined();
    // The reference implementation validates the attributes (names, types, spec version) on construction.
    const cloudEvent = new CloudEvent(toCloudEvent(message!) as never);
    const binary = HTTP.binary(cloudEvent);
    const received = HTTP.toEvent({ headers: binary.headers, body: binary.body }) as CloudEvent<unknown>;
    const back = fromCloudEvent(received.toJSON() as Record<string, unknown>);
    expect(back.error).toBeUndefined();
    expect(back.data).toEqual(message);
  });

  it("keeps an absent causationId absent", () => {
    const [, example] = examples[0]!;
    const { causationId: _dropped, ...withoutCausation } = example as Record<string, unknown>;
    const { data } = parseEvent(withoutCausation);
    expect(toCloudEvent(data!)).not.toHaveProperty("causationid");
    expect(fromCloudEvent(toCloudEvent(data!) as never).data).not.toHaveProperty("causationId");
  });

  it("carries a traced publish's spanId as the spanid extension, and leaves it out when absent", () => {
    const [, example] = examples[0]!;
    const { data } = parseEvent({ ...(example as object), spanId: "00f067aa0ba902b7" });
    expect(toCloudEvent(data!)).toHaveProperty("spanid", "00f067aa0ba902b7");
    expect(fromCloudEvent(toCloudEvent(data!) as never).data).toEqual(data);
    const { spanId: _dropped, ...untraced } = example as Record<string, unknown>;
    expect(toCloudEvent(parseEvent(untraced).data!)).not.toHaveProperty("spanid");
  });

  it("returns an error (does not throw) for data that is not JSON", () => {
    const { error } = fromCloudEvent({
      specversion: "1.0",
      id: "1",
      source: "/ecom/cart",
      type: "x",
      datacontenttype: "application/json",
      data: "{not json",
    });
    expect(error?.code).toBe(SdkErrorCode.invalidCloudEvent);
  });

  it("refuses a CloudEvent from another source", () => {
    const { error } = fromCloudEvent({ specversion: "1.0", id: "1", source: "https://example.com", type: "x" });
    expect(error?.code).toBe(SdkErrorCode.invalidCloudEvent);
  });
});
