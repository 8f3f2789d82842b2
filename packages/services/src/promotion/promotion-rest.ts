import type { promotionApi } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { type ContextRuntime, fail, type RestHandlers, requireAdmin } from "../platform/index.js";
import { quoteBasket } from "./discount-quote.js";
import { listPage } from "./filtered-page.js";
import { type PromotionRow, statusOfPromotion, toPromotionView } from "./promotion-records.js";
import { insertPromotion, patchPromotion } from "./promotion-writes.js";
import type { PromotionDatabase } from "./store.js";

type Db = Kysely<PromotionDatabase> | Transaction<PromotionDatabase>;

/** A promotion's row, or a 404. */
export async function promotionRow(db: Db, promotionId: string): Promise<PromotionRow> {
  const row = await db.selectFrom("promotions").selectAll().where("promotion_id", "=", promotionId).executeTakeFirst();
  if (!row) throw fail.notFound(`promotion ${promotionId}`);
  return row;
}

/** The promotion context's REST operations on promotions (contracts/openapi/promotion.yaml), and the discount quote. */
export function promotionRestHandlers(
  runtime: ContextRuntime<PromotionDatabase>,
): Pick<
  RestHandlers<promotionApi.operations>,
  "listPromotions" | "createPromotion" | "getPromotion" | "updatePromotion" | "disablePromotion" | "quoteDiscount"
> {
  const { db, clock } = runtime;
  const now = () => clock.now().toISOString();

  return {
    async listPromotions({ query, principal }) {
      requireAdmin(principal);
      const at = now();
      return listPage(
        query,
        {
          filters: { status: query.status },
          // Newest first: ids are time-sortable, so id order is creation order.
          read: (after, count) => {
            let select = db.selectFrom("promotions").selectAll().orderBy("promotion_id", "desc").limit(count);
            if (after) select = select.where("promotion_id", "<", after.id);
            return select.execute();
          },
          keep: (row) => query.status === undefined || statusOfPromotion(row, at) === query.status,
          positionOf: (row) => ({ key: row.created_at, id: row.promotion_id }),
        },
        (rows) => rows.map((row) => toPromotionView(row, at)),
      );
    },

    async createPromotion({ body, principal }) {
      requireAdmin(principal);
      const { promotionId, createdAt } = await insertPromotion(runtime, body);
      return {
        status: 201,
        headers: { location: `/promotions/${promotionId}` },
        body: toPromotionView(await promotionRow(db, promotionId), createdAt),
      };
    },

    async getPromotion({ path, principal }) {
      requireAdmin(principal);
      return { status: 200, body: toPromotionView(await promotionRow(db, path.promotionId), now()) };
    },

    async updatePromotion({ path, body, principal }) {
      requireAdmin(principal);
      const at = now();
      await patchPromotion(runtime, await promotionRow(db, path.promotionId), body, at);
      return { status: 200, body: toPromotionView(await promotionRow(db, path.promotionId), at) };
    },

    async disablePromotion({ path, principal }) {
      requireAdmin(principal);
      const at = now();
      await promotionRow(db, path.promotionId);
      await db
        .updateTable("promotions")
        .set({ disabled_at: at, updated_at: at })
        .where("promotion_id", "=", path.promotionId)
        .where("disabled_at", "is", null)
        .execute();
      return { status: 200, body: toPromotionView(await promotionRow(db, path.promotionId), at) };
    },

    async quoteDiscount({ body, principal }) {
      return { status: 200, body: await quoteBasket(runtime, body, principal?.customerId ?? "") };
    },
  };
}
