import { createServer } from "node:net";
import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEcom } from "../__fixtures__/run-ecom.js";
import { browserOpener } from "./open.js";

let platform: Platform;
let url: string;
beforeAll(async () => {
  platform = await createPlatform({
    contexts: allContexts,
    memory: true,
    seed: 3,
    log: { info() {}, warn() {}, error() {} },
  });
  url = await platform.listen(0);
});
afterAll(async () => {
  await platform.close();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("ecom events tail", () => {
  it("prints the log from --since as one JSON envelope per line, and stops after --count", async () => {
    const { code, stdout } = await runEcom("events", "tail", "--url", url, "--since", "0", "--count", "3", "--json");
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.seq)).toEqual([1, 2, 3]);
    expect(events[0]).toHaveProperty("eventType");
  });

  it("filters by a part of the type and by correlation id, one plain line per event", async () => {
    const { stdout } = await runEcom(
      "events",
      "tail",
      "--url",
      url,
      "--since",
      "0",
      "--count",
      "2",
      "--types",
      "product.created",
    );
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(line).toMatch(/^#\d+ {2}\d\d:\d\d:\d\d\.\d{3} {2}ecommerce\.catalog\.product\.created\.v1 {2}catalog/);
    const first = JSON.parse(
      (await runEcom("events", "tail", "--url", url, "--since", "0", "--count", "1", "--json")).stdout,
    );
    const same = await runEcom(
      "events",
      "tail",
      "--url",
      url,
      "--since",
      "0",
      "--count",
      "1",
      "--json",
      "--correlation-id",
      first.correlationId,
    );
    expect(JSON.parse(same.stdout).correlationId).toBe(first.correlationId);
  });

  it("exits 2 with one line when no simulator answers, or an option is not a number", async () => {
    const unreachable = await runEcom("events", "tail", "--url", `http://127.0.0.1:${await closedPort()}`);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr.trim().split("\n")).toHaveLength(1);
    expect(unreachable.stderr).toContain("is `ecom sim up` running there?");
    const bad = await runEcom("events", "tail", "--url", url, "--since", "soon");
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("ecom: --since must be a whole number, got soon");
  });
});

describe("ecom open", () => {
  it("prints the console's URL (and a page's) with --print", async () => {
    expect((await runEcom("open", "--print", "--url", url)).stdout).toBe(`${url}/\n`);
    expect((await runEcom("open", "timeline", "--print", "--url", url)).stdout).toBe(`${url}/#/timeline\n`);
  });

  it("exits 1 when no simulator answers, 2 for an unknown page", async () => {
    const none = await runEcom("open", "--print", "--url", `http://127.0.0.1:${await closedPort()}`);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("start one with `npx ecom sim up`");
    expect((await runEcom("open", "nowhere", "--url", url)).code).toBe(2);
  });

  it("uses the system's opener where there is a browser to open, and none on a machine without a display", () => {
    expect(browserOpener("darwin", {})?.command).toBe("open");
    expect(browserOpener("win32", {})?.command).toBe("cmd");
    expect(browserOpener("linux", { PATH: "/usr/bin" })).toBeUndefined();
  });
});
