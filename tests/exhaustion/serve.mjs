// The server under attack in the exhaustion test: the whole platform (built packages, as `ecom sim up` runs it) on
// a data folder of its own, with the default limits, after a log of FILLER_EVENTS events of about 2 kB each has
// been written, so that every replaying client asks for tens of megabytes. Prints one JSON line (url, token) when
// ready; stops on SIGTERM.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform } from "@ecom/simulator";

const fillerEvents = Number(process.env.FILLER_EVENTS ?? 20_000);
const dataDir = mkdtempSync(join(tmpdir(), "ecom-exhaustion-"));
const quiet = { info() {}, warn() {}, error: (message) => process.stderr.write(`${message}\n`) };
const platform = await createPlatform({ contexts: allContexts, dataDir, seed: 3, log: quiet });

const padding = "x".repeat(2_000);
for (let start = 0; start < fillerEvents; start += 1_000) {
  const batch = [];
  for (let index = start; index < Math.min(fillerEvents, start + 1_000); index++) {
    const eventId = `evt_filler${String(index).padStart(10, "0")}`;
    batch.push({
      eventId,
      eventType: "ecommerce.exhaustion.filler.recorded.v1",
      producer: "exhaustion",
      correlationId: "cor_exhaustion",
      envelope: JSON.stringify({ eventId, eventType: "ecommerce.exhaustion.filler.recorded.v1", payload: { padding } }),
    });
  }
  await platform.bus.publish(batch);
}

const url = await platform.listen(0);
const login = await platform.handle({
  method: "POST",
  url: "/auth/login",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ email: devAccounts.customer.email, password: devAccounts.customer.password }),
});
process.stdout.write(`${JSON.stringify({ url, token: JSON.parse(login.body).accessToken })}\n`);

process.once("SIGTERM", async () => {
  await platform.close();
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
});
