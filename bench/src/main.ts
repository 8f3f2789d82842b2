import { benchBackendCheckouts } from "./backend-checkout-bench.js";
import { benchCheckouts } from "./checkout-bench.js";
import { benchConnect, benchGateway } from "./gateway-bench.js";
import { benchReplay } from "./replay-bench.js";
import type { Figure } from "./report.js";
import { formatTable } from "./report.js";
import { benchStartup } from "./startup-bench.js";

// `npm run bench`: each figure of ecom beside its limit, both measured in this run on this machine, so the ratio
// holds when the machine is busy. `npm run bench -- checkout gateway startup` runs only some parts.

// ECOM_BENCH_ROUNDS=<n> runs each customer's checkouts n times instead of 8 (a longer run to profile).
const rounds = Number(process.env.ECOM_BENCH_ROUNDS ?? 8);

const parts = {
  // The embedded figure, then the same checkouts on PostgreSQL + NATS (one process and split), in the same run.
  checkout: async () => [
    ...(await benchCheckouts({ customers: 32, rounds })),
    ...(await benchBackendCheckouts({ customers: 32, rounds: 4, bareSeconds: 3 })),
  ],
  gateway: () => benchGateway({ connections: 32, requests: 3000 }),
  // Only the gateway's Connect figure, to repeat it (it moves most from run to run); not run by default.
  connect: () => benchConnect({ connections: 32, requests: 3000 }),
  startup: () => benchStartup({ runs: 5 }),
  replay: () => benchReplay({ events: 20_000, runs: 3 }),
} satisfies Record<string, () => Promise<Figure[]>>;

const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !(name in parts));
if (unknown.length > 0) {
  process.stderr.write(`bench: no part named ${unknown.join(", ")}; the parts are ${Object.keys(parts).join(", ")}\n`);
  process.exit(2);
}
const figures: Figure[] = [];
for (const [name, run] of Object.entries(parts)) {
  if (asked.length > 0 ? !asked.includes(name) : name === "connect") continue;
  process.stderr.write(`bench: ${name}…\n`);
  figures.push(...(await run()));
}
process.stdout.write(`${formatTable(figures)}\n`);
