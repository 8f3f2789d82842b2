import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { allContexts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SENT_VARIABLES } from "../../packages/services/src/notification/notification-statements.js";
import { quiet, shopAt } from "../simulator/shop.js";

// A notification keeps its template's variables until it is sent (a retry renders the message from them), and
// nothing of them once it is: the mailbox holds the message.

let dataDir: string | undefined;
let platform: Platform | undefined;
afterEach(async () => {
  await platform?.close();
  platform = undefined;
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
  dataDir = undefined;
});

describe("a sent notification's variables", () => {
  it("are kept while it waits for a retry and emptied by the write that marks it sent", async () => {
    dataDir = await mkdtemp(join(tmpdir(), "ecom-notification-"));
    platform = await createPlatform({ contexts: allContexts, dataDir, seed: 43, log: quiet });
    const shop = shopAt(platform);
    const sentShopper = await shop.register();
    await shop.paidOrder(sentShopper);
    await platform.settle();
    platform.faults.emailChannelDown = true;
    const waitingShopper = await shop.register();
    const { orderId } = await shop.paidOrder(waitingShopper);
    await platform.settle();
    await platform.close();
    platform = undefined;

    const database = new Database(join(dataDir, "notification.db"), { readonly: true });
    try {
      const rows = database
        .prepare("select customer_id, template_key, status, variables from notifications where customer_id in (?, ?)")
        .all(sentShopper.customerId, waitingShopper.customerId) as {
        customer_id: string;
        template_key: string;
        status: string;
        variables: string;
      }[];
      const sent = rows.filter((row) => row.customer_id === sentShopper.customerId);
      expect(sent.map((row) => row.template_key).sort()).toEqual(["order_confirmation", "welcome"]);
      for (const row of sent) expect(row).toMatchObject({ status: "SENT", variables: SENT_VARIABLES });
      const waiting = rows.find(
        (row) => row.customer_id === waitingShopper.customerId && row.template_key === "order_confirmation",
      );
      expect(waiting?.status).toBe("QUEUED");
      expect(JSON.parse(waiting?.variables ?? "{}")).toMatchObject({ orderId });
    } finally {
      database.close();
    }
  });
});
