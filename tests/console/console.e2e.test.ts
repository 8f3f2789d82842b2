import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The console as a developer uses it, in Debian's Chromium driven by playwright-core: on a fresh `ecom sim up
// --memory`, send an operation from the API reference, watch a checkout's timeline fill in live, advance the clock.
// Every wait is for an element or a text, never for a stretch of time. Screenshots are kept in artifacts/console/.

const CHROMIUM = process.env.ECOM_CHROMIUM ?? "/usr/bin/chromium";
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium)
  process.stderr.write(
    `console e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set ECOM_CHROMIUM)\n`,
  );

const run = promisify(execFile);
const STEP_TIMEOUT = 120_000;
const bin = join(import.meta.dirname, "../../packages/cli/bin/ecom.js");
const artifacts = join(import.meta.dirname, "../../artifacts/console");
/** Jaeger's address of a trace: the console links each order there (never followed here). */
const TRACE_UI = "http://localhost:16686/trace/{traceId}";

let simulator: ChildProcess | undefined;
let browser: BrowserContext | undefined;
let profile: string | undefined;
let page: Page;
let url: string;
const requested: string[] = [];

beforeAll(async () => {
  if (!hasChromium) return;
  await mkdir(artifacts, { recursive: true });
  simulator = spawn(
    process.execPath,
    [bin, "sim", "up", "--memory", "--port", "0", "--log-level", "warn", "--trace", "--trace-url", TRACE_UI],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const banner = await new Promise<string>((resolve, reject) => {
    let output = "";
    simulator!.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Stop: Ctrl-C")) resolve(output);
    });
    simulator!.once("exit", (code) => reject(new Error(`ecom sim up exited with ${code}`)));
  });
  url = /contexts on (http:\/\/\S+)/.exec(banner)![1]!;
  profile = await mkdtemp(join(tmpdir(), "ecom-console-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-quic",
      "--disable-sync",
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  // Upper bounds only (every wait ends as soon as its element shows): a loaded CI machine renders slowly.
  page.setDefaultTimeout(STEP_TIMEOUT);
  page.on("request", (request) => requested.push(request.url()));
}, 2 * STEP_TIMEOUT);

afterAll(async () => {
  await browser?.close();
  if (profile) await rm(profile, { recursive: true, force: true });
  simulator?.kill("SIGINT");
});

describe.skipIf(!hasChromium)("the console in Chromium", { timeout: 4 * STEP_TIMEOUT }, () => {
  it("finds an operation in the API reference and sends it with its test request", async () => {
    await page.goto(`${url}/#/api`);
    // Find it as a developer would: the reference's search, then the operation's "Test Request" client.
    await page
      .getByRole("button", { name: /Search/ })
      .first()
      .click();
    await page.keyboard.type("calling customer's profile");
    await page.getByRole("option", { name: /Fetch the calling customer's profile/ }).click();
    await page
      .locator("button", { hasText: /Test Request\s*\(get \/customers\/me\)/ })
      .first()
      .click();
    // The client is pre-filled with this simulator as the server and the admin's dev token (bound to loopback).
    const answered = page.waitForResponse((response) => response.url() === `${url}/customers/me`);
    await page.getByRole("button", { name: /^Send/ }).first().click();
    const response = await answered;
    expect(response.status()).toBe(200);
    expect(response.request().headers().authorization).toMatch(/^Bearer \S+\.\S+\.\S+$/);
    await page.getByText("200 OK").first().waitFor();
    await page.screenshot({ path: join(artifacts, "api-reference-test-request.png") });
  });

  it("shows a checkout's timeline live, with all five saga steps", async () => {
    await page.goto(`${url}/#/timeline`);
    await page.getByText("Waiting for the next checkout").waitFor();
    const checkout = run(process.execPath, [bin, "checkout", "--url", url, "--json"]);
    await page.locator("#checkout-state", { hasText: "COMPLETED" }).waitFor();
    const steps = page.locator('[data-kind="step"]');
    await expect.poll(() => steps.count()).toBe(5);
    for (const name of ["reserve_stock", "calculate_discount", "authorize_payment", "create_order", "capture_payment"])
      await steps.filter({ hasText: name }).filter({ hasText: "SUCCEEDED" }).waitFor();
    await page.locator('[data-kind="event"]', { hasText: "order.order.paid" }).waitFor();
    const outcome = JSON.parse((await checkout).stdout);
    expect(page.url()).toContain(outcome.order.checkoutId);
    await page.screenshot({ path: join(artifacts, "checkout-timeline.png"), fullPage: true });
  });

  it("shows the checkout's order confirmation in the mailbox", async () => {
    await page.goto(`${url}/#/notifications`);
    const confirmation = page.locator("#mailbox td", { hasText: "is confirmed" });
    // The e-mail is sent right after the order is created; Refresh reads the mailbox again until it is there.
    await expect
      .poll(
        async () => {
          await page.getByRole("button", { name: "Refresh" }).click();
          return confirmation.count();
        },
        { timeout: STEP_TIMEOUT },
      )
      .toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, "mailbox-and-webhooks.png") });
  });

  it("links an order to its trace, and shows the trace's spans as a waterfall", async () => {
    const checkout = await run(process.execPath, [bin, "checkout", "--url", url, "--json"]);
    const { orderId } = (JSON.parse(checkout.stdout) as { order: { orderId: string } }).order;
    await page.goto(`${url}/#/orders?id=${orderId}`);
    const traceId = (await page.locator("#order-trace-id").textContent()) ?? "";
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(await page.locator("#order-trace-ui").getAttribute("href")).toBe(TRACE_UI.replace("{traceId}", traceId));
    await page.locator("#order-trace-waterfall").click();
    const spans = page.locator("#trace-spans td");
    for (const name of [
      "POST /carts/{cartId}/checkout",
      "order saga reserve_stock",
      "ecom.payment.v1.PaymentService/Authorize",
      "notification send email",
    ])
      await spans.filter({ hasText: name }).first().waitFor();
    await page.screenshot({ path: join(artifacts, "trace-waterfall.png"), fullPage: true });
  });

  it("advances the platform's clock from the page", async () => {
    await page.goto(`${url}/#/platform`);
    const shown = page.locator("#clock-now");
    await shown.waitFor();
    const before = Date.parse((await shown.textContent()) ?? "");
    await page.locator('input[name="by"]').fill("2h");
    await page.getByRole("button", { name: "Advance" }).click();
    await page.locator("#clock-message", { hasText: "Advanced by 2h" }).waitFor();
    const after = Date.parse((await shown.textContent()) ?? "");
    expect(after - before).toBeGreaterThanOrEqual(2 * 3_600_000);
    await page.screenshot({ path: join(artifacts, "clock-and-faults.png") });
  });

  it("made every request to the simulator's own origin", () => {
    const foreign = requested.filter((address) => !address.startsWith(`${url}/`) && !address.startsWith("data:"));
    expect(foreign).toEqual([]);
  });
});
