import type { Kysely, Transaction } from "kysely";
import { describe, expect, it } from "vitest";
import type { AfterCommitHook } from "../platform/index.js";
import type { NotificationDatabase } from "./store.js";
import { createWebhookTargets } from "./webhook-targets.js";

/** An executor whose select answers the rows `table` holds when it runs (what one connection would see). */
function executorOver(table: { rows: { event_type: string; subscription_id: string; url: string }[] }) {
  const query = {
    innerJoin: () => query,
    select: () => query,
    where: () => query,
    orderBy: () => query,
    execute: async () => table.rows,
  };
  return { selectFrom: () => query } as unknown as Kysely<NotificationDatabase>;
}

describe("the webhook targets index", () => {
  it("does not keep what a look-up read on another connection before a subscription write committed", async () => {
    const hooks = new Map<object, AfterCommitHook[]>();
    const targets = createWebhookTargets({
      afterCommit: (trx, hook) => hooks.set(trx, [...(hooks.get(trx) ?? []), hook]),
    });
    const committed = { rows: [] as { event_type: string; subscription_id: string; url: string }[] };
    const otherConnection = executorOver(committed);
    const type = "ecommerce.order.order.created.v1";
    expect(await targets.of(type, otherConnection)).toEqual([]);

    // A writer adds a subscription in its transaction; before it commits, a look-up on another connection of a pool
    // still sees the table without it, and loads that.
    const trx = {} as Transaction<NotificationDatabase>;
    targets.changed(trx);
    expect(await targets.of(type, otherConnection)).toEqual([]);

    // The commit: the row is there, and the after-commit hook drops what the look-up loaded.
    committed.rows = [{ event_type: type, subscription_id: "whs_1", url: "https://partner.test/hook" }];
    for (const hook of hooks.get(trx) ?? []) await hook();
    expect(await targets.of(type, otherConnection)).toEqual([
      { subscription_id: "whs_1", url: "https://partner.test/hook" },
    ]);
  });
});
