import { type MessagePayloads, validatePayload } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, type FeedHandler, type FeedMessage, type FeedOutcome, fail } from "../platform/index.js";
import type { InventoryDatabase } from "./store.js";

/** The MQTT channel of contracts/mqtt/inventory.yaml: one warehouse device's count of one product's copies. */
export const DEVICE_DELTA_CHANNEL = "iot/inventory/{sku}/delta";
const COMMAND = "ecommerce.inventory.stock.adjust.v1";
const MAX_DEAD_LETTERS = 200;

/** The fields of a device report known before it was validated, for its dead letter. */
interface ReportFacts {
  readonly topic: string | null;
  readonly payload: string;
  readonly deviceId?: unknown;
  readonly sequence?: unknown;
  readonly productId?: string | undefined;
}

/**
 * Inventory's device gateway: turns each report of `iot/inventory/{sku}/delta` into the stock.adjust command on the
 * bus, which inventory's own handler applies (and de-duplicates by device and sequence) like any other command. The
 * report's payload is the command's payload without `productId`, which the topic's ISBN names: so the command, with
 * the product filled in, is checked by the command's generated validator, and whatever it refuses — and a report
 * that is not JSON or names an ISBN no product has — is dead-lettered with the reason, never applied.
 * A batch is one transaction: its commands and dead letters are durable together.
 */
export function createDeviceFeed(runtime: ContextRuntime<InventoryDatabase>): FeedHandler {
  return (batch) =>
    runtime.db.transaction().execute(async (trx) => {
      const outcomes: FeedOutcome[] = [];
      for (const message of batch) outcomes.push(await accept(runtime, trx, message));
      return outcomes;
    });
}

async function accept(
  runtime: ContextRuntime<InventoryDatabase>,
  trx: Transaction<InventoryDatabase>,
  message: FeedMessage,
): Promise<FeedOutcome> {
  const facts = { topic: message.topic, payload: message.payload };
  let report: unknown;
  try {
    report = JSON.parse(message.payload);
  } catch {
    return deadLetter(runtime, trx, facts, "the payload is not JSON");
  }
  if (report === null || typeof report !== "object" || Array.isArray(report))
    return deadLetter(runtime, trx, facts, 'the payload is not a JSON object like {"delta":-2,"reason":"SENSOR",…}');
  const fields = report as Record<string, unknown>;
  const known = { ...facts, deviceId: fields.deviceId, sequence: fields.sequence };
  if (Object.hasOwn(fields, "productId"))
    return deadLetter(runtime, trx, known, "productId is not part of a report: the topic's ISBN names the product");
  const sku = message.parameters.sku ?? "";
  const product = await trx.selectFrom("product_skus").select("product_id").where("isbn", "=", sku).executeTakeFirst();
  if (!product) return deadLetter(runtime, trx, known, `no product has the ISBN-13 ${JSON.stringify(sku)}`);
  const command = { ...fields, productId: product.product_id };
  const issues = validatePayload(COMMAND, command);
  if (issues.length > 0) {
    const reason = issues.map((issue) => `${issue.pointer || "the payload"} ${issue.message}`).join("; ");
    return deadLetter(runtime, trx, { ...known, productId: product.product_id }, reason);
  }
  const payload = command as MessagePayloads[typeof COMMAND];
  await runtime.outbox.publish(trx, COMMAND, payload, {
    partitionKey: payload.productId,
    // The device's own identity of the report: every event it causes is found under it.
    correlationId: `${payload.deviceId}:${payload.sequence}`,
  });
  return { kind: "accepted" };
}

/** Record a refused report with its reason (and log it), in `trx`; nothing else changes. */
export async function deadLetter(
  runtime: ContextRuntime<InventoryDatabase>,
  trx: Transaction<InventoryDatabase>,
  facts: ReportFacts,
  reason: string,
): Promise<FeedOutcome> {
  const deviceId = typeof facts.deviceId === "string" ? facts.deviceId.slice(0, 64) : null;
  const sequence = Number.isSafeInteger(facts.sequence) ? (facts.sequence as number) : null;
  await trx
    .insertInto("device_dead_letters")
    .values({
      dead_letter_id: runtime.ids.next("dlq"),
      topic: facts.topic,
      // A device may send anything; keep enough to recognise it, not an unbounded blob.
      payload: facts.payload.slice(0, 4096),
      device_id: deviceId,
      sequence,
      product_id: facts.productId ?? null,
      reason,
      dead_lettered_at: runtime.clock.now().toISOString(),
    })
    .execute();
  runtime.log.warn("inventory dead-lettered a device stock report", {
    topic: facts.topic,
    deviceId,
    sequence,
    reason,
  });
  return { kind: "dead-lettered", reason };
}

/** The device feed's dead letters, newest first, for the simulator's `GET /_sim/device-feed?limit=`. */
export function createDeviceFeedView(runtime: ContextRuntime<InventoryDatabase>) {
  return async (query: URLSearchParams) => {
    const limitText = query.get("limit") ?? "50";
    const limit = Number(limitText);
    if (!/^[0-9]+$/.test(limitText) || limit < 1 || limit > MAX_DEAD_LETTERS)
      throw fail.validation("/query/limit", `must be a whole number from 1 to ${MAX_DEAD_LETTERS}`);
    const rows = await runtime.db
      .selectFrom("device_dead_letters")
      .selectAll()
      .orderBy("dead_lettered_at", "desc")
      .orderBy("dead_letter_id", "desc")
      .limit(limit)
      .execute();
    return {
      channel: DEVICE_DELTA_CHANNEL,
      deadLetters: rows.map((row) => ({
        deadLetterId: row.dead_letter_id,
        ...(row.topic === null ? {} : { topic: row.topic }),
        payload: row.payload,
        ...(row.device_id === null ? {} : { deviceId: row.device_id }),
        ...(row.sequence === null ? {} : { sequence: row.sequence }),
        ...(row.product_id === null ? {} : { productId: row.product_id }),
        reason: row.reason,
        deadLetteredAt: row.dead_lettered_at,
      })),
    };
  };
}
