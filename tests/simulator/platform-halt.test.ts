import { createPlatform } from "@ecom/simulator";
import { expect, it } from "vitest";

const quiet = { info() {}, warn() {}, error() {} };

// What a process that lost its contexts' claims does before it exits (ecom serve, ecom sim up on the backends).
it("halts: the port stops accepting at once, and the platform can still be closed after", async () => {
  const platform = await createPlatform({ contexts: [], memory: true, log: quiet });
  const url = await platform.listen(0);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  await platform.halt();
  await expect(fetch(`${url}/healthz`)).rejects.toThrow(/fetch failed/);
  await platform.close();
});
