import type { MessageOf } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { beforeAll, expect, it } from "vitest";
import { migrations } from "../../packages/services/src/analytics/migrations.js";
import { dailyRevenueProjection } from "../../packages/services/src/analytics/order-projection.js";
import type { AnalyticsDatabase } from "../../packages/services/src/analytics/store.js";
import { describeBackends } from "./backends.js";
import { useContextStore } from "./context-store.js";

// The daily revenue's upsert keeps the latest event time of the day: SQLite's scalar max(a, b) is PostgreSQL's
// greatest(a, b) (max is only an aggregate there).

type Paid = MessageOf<"ecommerce.order.order.paid.v1">;

describeBackends("analytics' SQL", (backend) => {
  const store = useContextStore<AnalyticsDatabase>(backend, { name: "analytics", migrations });
  let db: Kysely<AnalyticsDatabase>;

  beforeAll(async () => {
    db = store.db;
  });

  it("adds a day's paid orders and keeps the day's latest time, whatever order they arrive in", async () => {
    const paid = dailyRevenueProjection.handlers["ecommerce.order.order.paid.v1"] as (
      message: Paid,
      trx: Transaction<AnalyticsDatabase>,
    ) => Promise<void>;
    for (const [paidAt, amount] of [
      ["2026-12-01T15:00:00.000Z", 1000],
      ["2026-12-01T09:00:00.000Z", 250],
    ] as const)
      await db
        .transaction()
        .execute((trx) =>
          paid({ payload: { orderId: "ord_1", paidAt, total: { amount, currency: "USD" } } } as Paid, trx),
        );
    const rows = await db
      .selectFrom("daily_revenue")
      .select(["date", "paid_order_count", "gross_amount", "updated_at"])
      .execute();
    expect(rows).toEqual([
      { date: "2026-12-01", paid_order_count: 2, gross_amount: 1250, updated_at: "2026-12-01T15:00:00.000Z" },
    ]);
  });
});
