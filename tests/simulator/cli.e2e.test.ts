import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { devAccounts } from "@ecom/services";
import { afterAll, describe, expect, it } from "vitest";

// The two commands a developer types: `ecom sim up --memory`, then `ecom checkout` against it.

const run = promisify(execFile);
const bin = join(import.meta.dirname, "../../packages/cli/bin/ecom.js");
let simulator: ChildProcess | undefined;

afterAll(() => {
  simulator?.kill("SIGKILL");
});

describe("ecom sim up --memory and ecom checkout", () => {
  let url: string;

  // How fast it starts is measured by `npm run bench`; here the test's timeout only catches a start-up that hangs.
  it("becomes ready (healthz 200) and prints a banner with URLs and tokens", async () => {
    simulator = spawn(process.execPath, [bin, "sim", "up", "--memory", "--port", "0"], {
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
    url = /contexts on (http:\/\/\S+)/.exec(banner)![1]!;
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(banner).toMatch(/export ECOM_ADMIN_TOKEN=\S+\.\S+\.\S+/);
    expect(banner).toMatch(/export ECOM_TOKEN=\S+\.\S+\.\S+/);
    expect(banner).toContain("in memory");
    // The MQTT feed runs only with --mqtt or --mqtt-listen, and the banner says so only then.
    expect(banner).not.toContain("MQTT");
    // The demo credentials, so a user can log in again once the tokens expire: the very ones the README gives.
    const readme = readFileSync(join(import.meta.dirname, "../../README.md"), "utf8");
    for (const account of [devAccounts.admin, devAccounts.customer]) {
      expect(banner).toContain(`log in as ${account.email} / ${account.password}`);
      expect(readme).toContain(`\`${account.email}\` / \`${account.password}\``);
    }
  });

  it("ecom checkout --url exits 0 with a paid order", async () => {
    const { stdout } = await run(process.execPath, [bin, "checkout", "--url", url, "--json"]);
    const outcome = JSON.parse(stdout);
    expect(outcome.paid).toBe(true);
    expect(outcome.order.status).toBe("PAID");
  });

  it("ecom checkout --until delivered follows the order through the warehouse and the simulated carrier to DELIVERED", async () => {
    const { stdout } = await run(process.execPath, [bin, "checkout", "--url", url, "--until", "delivered", "--json"]);
    const outcome = JSON.parse(stdout);
    expect(outcome.order.status).toBe("DELIVERED");
    const types = outcome.events.map((event: { eventType: string }) => event.eventType);
    expect(types).toContain("ecommerce.fulfilment.shipment.shipped.v1");
    // The order's own flow ends delivered (the e-mails telling the customer share its correlation id).
    expect(types.filter((type: string) => !type.startsWith("ecommerce.notification.")).at(-1)).toBe(
      "ecommerce.order.order.delivered.v1",
    );
  });

  it("ecom checkout without --url runs the platform in-process and exits 0, with the coupon applied", async () => {
    const { stdout } = await run(process.execPath, [
      bin,
      "checkout",
      "--json",
      "--coupon",
      "WELCOME10",
      "--items",
      "9780131103627:2",
    ]);
    const outcome = JSON.parse(stdout);
    expect(outcome.paid).toBe(true);
    expect(outcome.order.items[0]).toMatchObject({ isbn: "9780131103627", quantity: 2 });
    expect(outcome.order.discount.amount).toBeGreaterThan(0);
  });

  it("ecom checkout with a declining card exits 1", async () => {
    const failed = await run(process.execPath, [bin, "checkout", "--url", url, "--card", "4000000000000002"]).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect((failed as { code: number }).code).toBe(1);
    expect((failed as { stdout: string }).stdout).toMatch(/FAILED/);
  });

  it("ecom checkout with bad arguments exits 2 with a one-line message", async () => {
    for (const args of [
      ["--items", "not-an-isbn"],
      ["--until", "shipped"],
    ]) {
      const bad = await run(process.execPath, [bin, "checkout", ...args]).catch(
        (error: { code: number; stderr: string }) => error,
      );
      expect((bad as { code: number }).code).toBe(2);
      expect((bad as { stderr: string }).stderr.trim().split("\n")).toHaveLength(1);
    }
  });

  it("stops cleanly on SIGINT (Ctrl-C) with exit code 0", async () => {
    const exited = new Promise<number | null>((resolve) => simulator!.once("exit", (code) => resolve(code)));
    simulator!.kill("SIGINT");
    expect(await exited).toBe(0);
    simulator = undefined;
  });
});
