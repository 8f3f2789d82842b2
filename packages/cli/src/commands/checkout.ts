import type { Platform } from "@ecom/simulator";
import type { Command } from "commander";
import {
  CheckoutFlowError,
  formatOutcome,
  type ItemRequest,
  parseItems,
  readFlowEvents,
  runCheckout,
} from "../checkout-flow.js";
import { followToDelivery } from "../delivery-flow.js";
import { ExitCode, UsageError } from "../exit-codes.js";
import { seedSnapshotsDir } from "../seed-snapshots-dir.js";

interface CheckoutOptions {
  url?: string;
  items?: string;
  card: string;
  coupon?: string;
  email?: string;
  password?: string;
  json?: boolean;
  timeout: string;
  until: string;
}

const STAGES = ["paid", "delivered"] as const;

/** Register `ecom checkout`: one whole checkout as a customer, through the SDK. */
export function registerCheckoutCommand(program: Command): void {
  program
    .command("checkout")
    .description(
      "Drive a whole checkout as a customer through the SDK (log in, fill a cart, tokenize the card, check out) and print the " +
        "saga's timeline, the flow's events and the final order. Without --url it starts the platform in-process (in memory, from the seed snapshot sim up --memory keeps). With " +
        "--until delivered it follows the order on through the warehouse and the simulated carrier. Exit 0 when the order " +
        "reached the stage asked for (paid by default), 1 on a declined or failed checkout.",
    )
    .option("--url <url>", "a running simulator, e.g. http://localhost:4000 (default: start one in-process, in memory)")
    .option("--items <list>", "books to buy as ISBN:QTY,ISBN:QTY (default: the first book in stock, one copy)")
    .option(
      "--card <number>",
      "card number; 4000000000000002 declines, 4000000000009995 has insufficient funds",
      "4242424242424242",
    )
    .option("--coupon <code>", "a coupon code, e.g. WELCOME10")
    .option("--email <email>", "the customer to check out as (default: the seeded demo customer)")
    .option("--password <password>", "that customer's password")
    .option("--timeout <seconds>", "how long to wait for the saga", "30")
    .option(
      "--until <stage>",
      "how far to follow the order: paid, or delivered (as an admin, pick, pack and ship it, then move the simulator's " +
        "virtual clock until the simulated carrier delivers it)",
      "paid",
    )
    .option("--json", "print the outcome as JSON")
    .action(async (options: CheckoutOptions) => {
      let items: ItemRequest[] | undefined;
      try {
        items = options.items === undefined ? undefined : parseItems(options.items);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      if (!/^\d{12,19}$/.test(options.card))
        throw new UsageError(`--card must be 12 to 19 digits, got ${options.card}`);
      const timeout = Number(options.timeout);
      if (!Number.isFinite(timeout) || timeout <= 0)
        throw new UsageError(`--timeout must be a positive number of seconds, got ${options.timeout}`);
      if (options.email !== undefined && options.password === undefined)
        throw new UsageError("--email needs --password");
      if (!(STAGES as readonly string[]).includes(options.until))
        throw new UsageError(`--until must be one of ${STAGES.join(", ")}, got ${options.until}`);
      if (options.url !== undefined && !/^https?:\/\//.test(options.url))
        throw new UsageError(`--url must be an http(s) URL, got ${options.url}`);

      const [{ allContexts, devAccounts }, { createPlatform }] = await Promise.all([
        import("@ecom/services"),
        import("@ecom/simulator"),
      ]);
      let platform: Platform | undefined;
      const progress = options.json ? undefined : (stage: string) => process.stderr.write(`checkout: ${stage}\n`);
      try {
        if (!options.url) {
          progress?.("starting the platform in-process (in memory)");
          platform = await createPlatform({
            contexts: allContexts,
            memory: true,
            log: quietLog,
            seedSnapshots: seedSnapshotsDir(),
          });
        }
        const inProcess = platform;
        const baseUrl = options.url?.replace(/\/+$/, "") ?? "http://ecom.in-process";
        const customer = {
          email: options.email ?? devAccounts.customer.email,
          password: options.password ?? devAccounts.customer.password,
        };
        let outcome = await runCheckout({
          baseUrl,
          ...(inProcess ? { fetch: inProcess.fetch, wait: () => inProcess.settle() } : {}),
          ...customer,
          ...(items ? { items } : {}),
          cardNumber: options.card,
          ...(options.coupon ? { couponCode: options.coupon } : {}),
          timeoutMs: timeout * 1000,
          ...(progress ? { onProgress: progress } : {}),
        });
        let reached = outcome.paid;
        if (options.until === "delivered" && outcome.paid && outcome.order) {
          const delivered = await followToDelivery({
            baseUrl,
            ...(inProcess ? { fetch: inProcess.fetch } : {}),
            wait: inProcess
              ? () => inProcess.settle()
              : (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
            orderId: outcome.order.orderId,
            customer,
            admin: { email: devAccounts.admin.email, password: devAccounts.admin.password },
            ...(progress ? { onProgress: progress } : {}),
          });
          outcome = {
            ...outcome,
            order: delivered,
            events: await readFlowEvents(
              { baseUrl, ...(inProcess ? { fetch: inProcess.fetch } : {}) },
              outcome.checkout.correlationId,
            ),
          };
          reached = delivered.status === "DELIVERED";
        }
        process.stdout.write(options.json ? `${JSON.stringify(outcome, null, 2)}\n` : `${formatOutcome(outcome)}\n`);
        process.exitCode = reached ? ExitCode.ok : ExitCode.failed;
      } catch (error) {
        if (error instanceof CheckoutFlowError) {
          process.stderr.write(`ecom checkout: ${error.message}\n`);
          process.exitCode = ExitCode.failed;
          return;
        }
        if ((error as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED") {
          throw new UsageError(
            `nothing answers at ${options.url}; start it with \`npx ecom sim up\` or leave out --url`,
          );
        }
        throw error;
      } finally {
        await platform?.close();
      }
    });
}

const quietLog = { info() {}, warn() {}, error: (message: string) => process.stderr.write(`error: ${message}\n`) };
