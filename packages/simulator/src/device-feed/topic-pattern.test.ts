import { describe, expect, it } from "vitest";
import { topicPattern } from "./topic-pattern.js";

describe("topicPattern", () => {
  it("subscribes to a channel's parameters as single-level wildcards", () => {
    expect(topicPattern("iot/inventory/{sku}/delta").filter).toBe("iot/inventory/+/delta");
  });

  it.each([
    ["a topic of the channel", "iot/inventory/9780131103627/delta", { sku: "9780131103627" }],
    ["another channel's topic", "iot/inventory/9780131103627/state", undefined],
    ["a topic with a level more", "iot/inventory/978/0131103627/delta", undefined],
    ["an empty parameter level", "iot/inventory//delta", undefined],
  ])("reads %s", (_name, topic, want) => {
    expect(topicPattern("iot/inventory/{sku}/delta").match(topic)).toEqual(want);
  });

  it("refuses a parameter that is not a whole level, and MQTT wildcards in an address", () => {
    expect(() => topicPattern("iot/inventory/sku-{sku}/delta")).toThrow(/whole topic level/);
    expect(() => topicPattern("iot/inventory/+/delta")).toThrow(/whole topic level/);
  });
});
