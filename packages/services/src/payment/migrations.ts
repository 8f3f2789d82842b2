import { type Kysely, type Migration, sql } from "kysely";
import { dialectOf } from "../platform/dialect.js";
import { rebuildTable } from "../platform/rebuild-table.js";
import { rebuildWithoutRowid } from "../platform/without-rowid.js";

/** The payment store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_payments": {
    async up(db) {
      await db.schema
        .createTable("payment_methods")
        .addColumn("payment_token", "text", (column) => column.primaryKey())
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("brand", "text", (column) => column.notNull())
        .addColumn("last4", "text", (column) => column.notNull())
        .addColumn("exp_month", "integer", (column) => column.notNull())
        .addColumn("exp_year", "integer", (column) => column.notNull())
        .addColumn("holder_name", "text", (column) => column.notNull())
        .addColumn("outcome", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("payments")
        .addColumn("payment_id", "text", (column) => column.primaryKey())
        .addColumn("order_id", "text", (column) => column.notNull())
        .addColumn("checkout_id", "text")
        .addColumn("customer_id", "text", (column) => column.notNull())
        .addColumn("payment_token", "text", (column) => column.notNull())
        .addColumn("card_brand", "text", (column) => column.notNull())
        .addColumn("card_last4", "text", (column) => column.notNull())
        .addColumn("amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("amount_captured", "integer", (column) => column.notNull())
        .addColumn("amount_refunded", "integer", (column) => column.notNull())
        .addColumn("failure_code", "text")
        .addColumn("failure_message", "text")
        .addColumn("failure_stage", "text")
        .addColumn("void_reason", "text")
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("authorized_at", "text")
        .addColumn("authorization_expires_at", "text")
        .addColumn("captured_at", "text")
        .addColumn("voided_at", "text")
        .addColumn("failed_at", "text")
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      await db.schema.createIndex("payments_by_order").on("payments").column("order_id").execute();
      await db.schema
        .createTable("charges")
        .addColumn("charge_id", "text", (column) => column.primaryKey())
        .addColumn("payment_id", "text", (column) => column.notNull().references("payments.payment_id"))
        .addColumn("kind", "text", (column) => column.notNull())
        .addColumn("amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("processor_reference", "text")
        .addColumn("failure_code", "text")
        .addColumn("attempts", "integer", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("completed_at", "text")
        .execute();
      await db.schema.createIndex("charges_by_payment").on("charges").columns(["payment_id", "charge_id"]).execute();
      await db.schema
        .createTable("refunds")
        .addColumn("refund_id", "text", (column) => column.primaryKey())
        .addColumn("payment_id", "text", (column) => column.notNull().references("payments.payment_id"))
        .addColumn("amount", "integer", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("reason", "text", (column) => column.notNull())
        .addColumn("note", "text")
        .addColumn("status", "text", (column) => column.notNull())
        .addColumn("processor_reference", "text")
        .addColumn("failure_code", "text")
        .addColumn("failure_message", "text")
        .addColumn("attempts", "integer", (column) => column.notNull())
        .addColumn("correlation_id", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("completed_at", "text")
        .execute();
      await db.schema.createIndex("refunds_by_payment").on("refunds").columns(["payment_id", "refund_id"]).execute();
      await db.schema
        .createTable("idempotency_keys")
        .addColumn("scope_key", "text", (column) => column.primaryKey())
        .addColumn("request_hash", "text", (column) => column.notNull())
        .addColumn("resource_id", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("processor_webhooks")
        .addColumn("webhook_id", "text", (column) => column.primaryKey())
        .addColumn("type", "text", (column) => column.notNull())
        .addColumn("received_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("settings")
        .addColumn("key", "text", (column) => column.primaryKey())
        .addColumn("value", "text", (column) => column.notNull())
        .execute();
    },
  },
  "0002_processor_path": {
    // Which of the processor's interfaces (SOAP or REST) authorized a payment; null for payments made before.
    async up(db) {
      await db.schema.alterTable("payments").addColumn("processor_path", "text").execute();
    },
  },
  // Tables keyed by text that no other index needs a rowid for, kept in their key's order on SQLite instead of beside
  // an index mapping the key to a rowid (without-rowid.ts): a checkout's charges and key keep ~270 bytes fewer.
  "0003_without_rowid": {
    async up(db) {
      for (const table of ["charges", "refunds", "idempotency_keys", "processor_webhooks"])
        await rebuildWithoutRowid(db, table);
    },
  },
  // A charge is only ever read with its payment (its charges, or one of them by id): keyed by (payment_id,
  // charge_id), the index of charges by payment is the table itself (~140 bytes and 2 index writes a checkout fewer).
  "0004_charges_keyed_by_payment": {
    async up(db) {
      if (dialectOf(db) === "postgres") {
        await sql`alter table charges drop constraint charges_pkey`.execute(db);
        await sql`alter table charges add constraint charges_pkey primary key (payment_id, charge_id)`.execute(db);
        await db.schema.dropIndex("charges_by_payment").execute();
        return;
      }
      await rebuildChargesKeyedByPayment(db);
    },
  },
  // No look-up reads payments by order (the order learns of its payment from the saga and the events): the index
  // only cost its bytes and a write per payment.
  "0005_no_payments_by_order": {
    async up(db) {
      await db.schema.dropIndex("payments_by_order").execute();
    },
  },
};

/** SQLite cannot change a table's key: charges made again as 0001 made them but for their key, with their rows. */
// biome-ignore lint/suspicious/noExplicitAny: a migration's database has no table types.
async function rebuildChargesKeyedByPayment(db: Kysely<any>): Promise<void> {
  await rebuildTable(db, "charges", (name) =>
    db.schema
      .createTable(name)
      .addColumn("charge_id", "text", (column) => column.notNull())
      .addColumn("payment_id", "text", (column) => column.notNull().references("payments.payment_id"))
      .addColumn("kind", "text", (column) => column.notNull())
      .addColumn("amount", "integer", (column) => column.notNull())
      .addColumn("currency", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("processor_reference", "text")
      .addColumn("failure_code", "text")
      .addColumn("attempts", "integer", (column) => column.notNull())
      .addColumn("created_at", "text", (column) => column.notNull())
      .addColumn("completed_at", "text")
      .addPrimaryKeyConstraint("charges_pk", ["payment_id", "charge_id"])
      .modifyEnd(sql`without rowid`)
      .execute(),
  );
}
