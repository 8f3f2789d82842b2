import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const quiet = { info() {}, warn() {}, error() {} };
let platform: Platform;
let url: string;

beforeAll(async () => {
  platform = await createPlatform({ contexts: allContexts, memory: true, seed: 3, log: quiet });
  url = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

/** Read Server-Sent Events frames from a response until `count` events arrived. */
async function readEvents(response: Response, count: number): Promise<{ id: string; event: string; data: string }[]> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { id: string; event: string; data: string }[] = [];
  let buffer = "";
  while (events.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf("\n\n");
    while (end >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(
        frame
          .split("\n")
          .filter((line) => !line.startsWith(":") && line.includes(": "))
          .map((line) => [line.slice(0, line.indexOf(": ")), line.slice(line.indexOf(": ") + 2)]),
      );
      if (fields.event) events.push(fields as { id: string; event: string; data: string });
      end = buffer.indexOf("\n\n");
    }
  }
  await reader.cancel();
  return events;
}

describe("GET /_sim/events", () => {
  it("replays the log from ?since= and filters by type", async () => {
    const response = await fetch(`${url}/_sim/events?since=0&types=ecommerce.catalog.category.created.v1`);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = await readEvents(response, 40);
    // The seed creates 40 categories; nothing else matches the filter.
    expect(events).toHaveLength(40);
    expect(new Set(events.map((event) => event.event))).toEqual(new Set(["ecommerce.catalog.category.created.v1"]));
    expect(Number(events[1]!.id)).toBeGreaterThan(Number(events[0]!.id));
    expect(JSON.parse(events[0]!.data)).toMatchObject({
      eventType: "ecommerce.catalog.category.created.v1",
      producer: "catalog",
    });
  });

  it("streams new events live", async () => {
    const response = await fetch(`${url}/_sim/events?types=ecommerce.customer.customer.registered.v1`);
    const live = readEvents(response, 1);
    const registered = await fetch(`${url}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: "live@example.com",
        password: "a-long-enough-password",
        firstName: "Live",
        lastName: "Stream",
      }),
    });
    expect(registered.status).toBe(201);
    const [event] = await live;
    expect(JSON.parse(event!.data).payload).toMatchObject({ email: "live@example.com" });
  });
});
