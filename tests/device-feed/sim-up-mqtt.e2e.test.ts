import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectAsync } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";

// `ecom sim up --mqtt-listen 0` as a developer runs it: the banner's MQTT line names the embedded broker, a device
// publishes there, and the adjustment shows on the event stream and in REST. Waits are for output and events.

const run = promisify(execFile);
const bin = join(import.meta.dirname, "../../packages/cli/bin/ecom.js");
let simulator: ChildProcess | undefined;

afterAll(() => {
  simulator?.kill("SIGKILL");
});

/** The first `data:` of a Server-Sent Events response, parsed. */
async function firstEvent(response: Response): Promise<{ payload: Record<string, unknown> }> {
  const reader = response.body!.getReader();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended without an event");
      text += new TextDecoder().decode(value);
      const data = /^data: (.+)$/m.exec(text);
      if (data) return JSON.parse(data[1]!);
    }
  } finally {
    await reader.cancel();
  }
}

describe("ecom sim up --mqtt-listen", () => {
  it("names the feed in the banner and applies a delta a device publishes to its broker", async () => {
    simulator = spawn(process.execPath, [bin, "sim", "up", "--memory", "--port", "0", "--mqtt-listen", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const banner = await new Promise<string>((resolve, reject) => {
      let output = "";
      simulator!.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Stop: Ctrl-C")) resolve(output);
      });
      simulator!.once("exit", (code) => reject(new Error(`exited with ${code}`)));
    });
    const url = /contexts on (http:\/\/\S+)/.exec(banner)![1]!;
    const broker = /MQTT\s+iot\/inventory\/\+\/delta on (mqtt:\/\/\S+) \(embedded broker; QoS 1\)/.exec(banner)?.[1];
    expect(broker, banner).toBeDefined();

    const products = (await (await fetch(`${url}/products?limit=1`)).json()) as {
      items: { productId: string; isbn: string }[];
    };
    const { productId, isbn } = products.items[0]!;
    const before = (await (await fetch(`${url}/stock/${productId}`)).json()) as { onHand: number };
    const adjusted = fetch(
      `${url}/_sim/events?since=0&types=ecommerce.inventory.stock.adjusted.v1&correlationId=banner-scale:1`,
    ).then(firstEvent);
    const device = await connectAsync(broker!, { clientId: "banner-scale", reconnectPeriod: 0 });
    await device.publishAsync(
      `iot/inventory/${isbn}/delta`,
      JSON.stringify({
        delta: -1,
        reason: "SENSOR",
        deviceId: "banner-scale",
        sequence: 1,
        observedAt: "2026-01-01T00:00:00Z",
      }),
      { qos: 1 },
    );
    await device.endAsync();
    expect((await adjusted).payload).toMatchObject({
      productId,
      delta: -1,
      source: "DEVICE",
      onHand: before.onHand - 1,
    });
    const after = (await (await fetch(`${url}/stock/${productId}`)).json()) as { onHand: number };
    expect(after.onHand).toBe(before.onHand - 1);
  });

  it.each([
    ["both flags", ["--mqtt", "mqtt://127.0.0.1:1883", "--mqtt-listen", "0"], /not both/],
    ["a URL that is not mqtt://", ["--mqtt", "http://127.0.0.1:1883"], /mqtt:\/\/ or mqtts:\/\//],
    ["a port out of range", ["--mqtt-listen", "70000"], /--mqtt-listen must be a port/],
  ])("refuses %s with exit 2 and a one-line message", async (_name, flags, message) => {
    const failed = await run(process.execPath, [bin, "sim", "up", "--memory", "--port", "0", ...flags]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr.trim().split("\n")).toHaveLength(1);
    expect(failed?.stderr).toMatch(message);
  });
});
