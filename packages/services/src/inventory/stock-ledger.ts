import type { inventoryApi } from "@ecom/sdk";
import type { Selectable, Transaction } from "kysely";
import { type ContextRuntime, compileQuery, type Param, type PublishOptions } from "../platform/index.js";
import { availableOf, DEFAULT_REORDER_LEVEL, lowStockCrossing, type StockStatus, stockStatus } from "./stock-rules.js";
import type { InventoryDatabase, StockLevelTable } from "./store.js";

/** A stock level as stored. */
export type StockLevelRow = Selectable<StockLevelTable>;

/** The REST StockLevel of a row. */
export function toStockLevel(row: StockLevelRow): inventoryApi.components["schemas"]["StockLevel"] {
  const level = { onHand: row.on_hand, reserved: row.reserved, reorderLevel: row.reorder_level };
  return {
    productId: row.product_id,
    onHand: row.on_hand,
    reserved: row.reserved,
    available: availableOf(level),
    reorderLevel: row.reorder_level,
    status: stockStatus(level),
    updatedAt: row.updated_at,
  };
}

/** Why an adjustment changes the count, and who made it. */
export interface AdjustmentInput {
  readonly productId: string;
  readonly delta: number;
  readonly reason: "RESTOCK" | "DAMAGE" | "CORRECTION" | "SENSOR";
  readonly source: "ADMIN" | "DEVICE" | "RETURN";
  readonly note?: string | undefined;
  readonly adjustedBy?: string | undefined;
  readonly deviceId?: string | undefined;
}

/** What an adjustment did: applied, or refused with nothing changed. */
export type AdjustmentOutcome =
  | {
      readonly kind: "applied";
      readonly adjustment: inventoryApi.components["schemas"]["Adjustment"];
      readonly level: StockLevelRow;
    }
  | { readonly kind: "no-level" }
  | { readonly kind: "below-reserved"; readonly level: StockLevelRow };

/** The writes every inventory operation shares: levels, adjustments and the low-stock alert. */
export interface StockLedger {
  /** Create an empty level for a product the catalog announced; false when it exists already. */
  createLevel(trx: Transaction<InventoryDatabase>, productId: string): Promise<boolean>;
  /**
   * Add `delta` to a product's copies on hand, record the adjustment and publish stock.adjusted (and stock.low on a
   * crossing), all in `trx`. Copies held by reservations cannot be removed, so a delta leaving fewer on hand than
   * reserved is refused: one conditional UPDATE decides, so a reservation racing it cannot slip in between.
   */
  adjust(
    trx: Transaction<InventoryDatabase>,
    input: AdjustmentInput,
    publish: Omit<PublishOptions, "partitionKey">,
  ): Promise<AdjustmentOutcome>;
  /** After a level changed: remember its status, and publish stock.low if it got worse. */
  recheckAlert(
    trx: Transaction<InventoryDatabase>,
    productId: string,
    publish: Omit<PublishOptions, "partitionKey">,
  ): Promise<void>;
  /**
   * {@link StockLedger.recheckAlert} of a level the caller has just read or written in `trx` (an update's `returning`),
   * so it is not read again; answers the level with the status it now remembers.
   */
  recheckAlertOf(
    trx: Transaction<InventoryDatabase>,
    row: StockLevelRow,
    publish: Omit<PublishOptions, "partitionKey">,
  ): Promise<StockLevelRow>;
}

/** The stock ledger of one running inventory context. */
export function createStockLedger(runtime: ContextRuntime<InventoryDatabase>): StockLedger {
  const { db, clock, ids, outbox } = runtime;
  // Run after every change of a level: built and compiled once (see compileQuery).
  const levelOf = compileQuery((param: Param<{ productId: string }>) =>
    db.selectFrom("stock_levels").selectAll().where("product_id", "=", param("productId")),
  );
  // A new product's level: empty, and OUT without having fallen there, so no alert is due for it.
  const insertLevel = compileQuery((param: Param<{ productId: string; now: string }>) =>
    db
      .insertInto("stock_levels")
      .values({
        product_id: param("productId"),
        on_hand: 0,
        reserved: 0,
        reorder_level: DEFAULT_REORDER_LEVEL,
        alert_status: "OUT",
        discontinued_at: null,
        created_at: param("now"),
        updated_at: param("now"),
      })
      .onConflict((conflict) => conflict.column("product_id").doNothing()),
  );
  // Never below what is reserved: an adjustment that would leave fewer copies than are held changes nothing.
  const addToLevel = compileQuery((param: Param<{ productId: string; delta: number; now: string }>) =>
    db
      .updateTable("stock_levels")
      .set((eb) => ({ on_hand: eb("on_hand", "+", param("delta")), updated_at: param("now") }))
      .where("product_id", "=", param("productId"))
      .where((eb) => eb(eb("on_hand", "+", param("delta")), ">=", eb.ref("reserved")))
      .returningAll(),
  );
  const insertAdjustment = compileQuery((param: Param<Selectable<InventoryDatabase["adjustments"]>>) =>
    db.insertInto("adjustments").values({
      adjustment_id: param("adjustment_id"),
      product_id: param("product_id"),
      delta: param("delta"),
      reason: param("reason"),
      source: param("source"),
      note: param("note"),
      adjusted_by: param("adjusted_by"),
      device_id: param("device_id"),
      on_hand_after: param("on_hand_after"),
      created_at: param("created_at"),
    }),
  );
  const rememberStatus = compileQuery((param: Param<{ productId: string; status: string }>) =>
    db
      .updateTable("stock_levels")
      .set({ alert_status: param("status") })
      .where("product_id", "=", param("productId")),
  );

  const recheckAlertOf: StockLedger["recheckAlertOf"] = async (trx, row, publish) => {
    const { product_id: productId } = row;
    const level = { onHand: row.on_hand, reserved: row.reserved, reorderLevel: row.reorder_level };
    const status = stockStatus(level);
    if (status === row.alert_status) return row;
    await rememberStatus.execute(trx, { productId, status });
    const crossing = lowStockCrossing(row.alert_status as StockStatus, status);
    if (!crossing) return { ...row, alert_status: status };
    await outbox.publish(
      trx,
      "ecommerce.inventory.stock.low.v1",
      {
        productId,
        status: crossing,
        onHand: row.on_hand,
        reserved: row.reserved,
        available: availableOf(level),
        reorderLevel: row.reorder_level,
        detectedAt: clock.now().toISOString(),
      },
      { ...publish, partitionKey: productId },
    );
    return { ...row, alert_status: status };
  };

  const recheckAlert: StockLedger["recheckAlert"] = async (trx, productId, publish) => {
    const row = await levelOf.executeTakeFirst(trx, { productId });
    if (row) await recheckAlertOf(trx, row, publish);
  };

  return {
    async createLevel(trx, productId) {
      const now = clock.now().toISOString();
      return (await insertLevel.executeChanges(trx, { productId, now })) > 0n;
    },

    async adjust(trx, input, publish) {
      const now = clock.now().toISOString();
      const level = await addToLevel.executeTakeFirst(trx, { productId: input.productId, delta: input.delta, now });
      if (!level) {
        const existing = await levelOf.executeTakeFirst(trx, { productId: input.productId });
        return existing ? { kind: "below-reserved", level: existing } : { kind: "no-level" };
      }
      const adjustmentId = ids.next("adj");
      const adjustment = {
        adjustment_id: adjustmentId,
        product_id: input.productId,
        delta: input.delta,
        reason: input.reason,
        source: input.source,
        note: input.note ?? null,
        adjusted_by: input.adjustedBy ?? null,
        device_id: input.deviceId ?? null,
        on_hand_after: level.on_hand,
        created_at: now,
      };
      await insertAdjustment.execute(trx, adjustment);
      const view = toStockLevel(level);
      await outbox.publish(
        trx,
        "ecommerce.inventory.stock.adjusted.v1",
        {
          adjustmentId,
          productId: input.productId,
          delta: input.delta,
          reason: input.reason,
          source: input.source,
          ...(input.deviceId === undefined ? {} : { deviceId: input.deviceId }),
          onHand: view.onHand,
          reserved: view.reserved,
          available: view.available,
          status: view.status,
          adjustedAt: now,
        },
        { ...publish, partitionKey: input.productId },
      );
      await recheckAlert(trx, input.productId, publish);
      return {
        kind: "applied",
        level,
        adjustment: toAdjustment(adjustment),
      };
    },

    recheckAlert,
    recheckAlertOf,
  };
}

/** The REST Adjustment of a stored adjustment. */
export function toAdjustment(
  row: Selectable<InventoryDatabase["adjustments"]>,
): inventoryApi.components["schemas"]["Adjustment"] {
  return {
    adjustmentId: row.adjustment_id,
    productId: row.product_id,
    delta: row.delta,
    reason: row.reason as inventoryApi.components["schemas"]["AdjustmentReason"],
    source: row.source as inventoryApi.components["schemas"]["AdjustmentSource"],
    ...(row.note === null ? {} : { note: row.note }),
    ...(row.adjusted_by === null ? {} : { adjustedBy: row.adjusted_by }),
    ...(row.device_id === null ? {} : { deviceId: row.device_id }),
    onHandAfter: row.on_hand_after,
    createdAt: row.created_at,
  };
}
