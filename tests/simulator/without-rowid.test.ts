import { type Kysely, type Migration, sql } from "kysely";
import { afterEach, describe, expect, it } from "vitest";
import { migrations as notificationMigrations } from "../../packages/services/src/notification/migrations.js";
import { migrations as orderMigrations } from "../../packages/services/src/order/migrations.js";
import { migrations as paymentMigrations } from "../../packages/services/src/payment/migrations.js";
import { migrate, openSqliteStore, type SqliteStore } from "../../packages/simulator/src/sqlite-store.js";

// The migrations that rebuild a context's tables as WITHOUT ROWID (platform/without-rowid.ts), run on a store written
// before them: its rows read back as they were, its indexes are still there, and its keys still refuse a duplicate.

// biome-ignore lint/suspicious/noExplicitAny: rows of any table, written and read by raw SQL.
type AnyDatabase = Kysely<any>;

let store: SqliteStore<unknown> | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

/** An in-memory store migrated with `migrations` up to (not including) `rebuilding`. */
async function storeBefore(migrations: Record<string, Migration>, rebuilding: string): Promise<AnyDatabase> {
  store = openSqliteStore<unknown>(":memory:");
  const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < rebuilding));
  await migrate(store.db, before, { label: "test", table: "_migrations" });
  return store.db as AnyDatabase;
}

/** Insert a row of `table` with `values`, every other NOT NULL column without a default filled in by its type. */
async function insertRow(db: AnyDatabase, table: string, values: Record<string, unknown>): Promise<void> {
  const { rows: columns } = await sql<{ name: string; type: string; notnull: number; dflt_value: unknown }>`
    select name, type, "notnull", dflt_value from pragma_table_info(${table})`.execute(db);
  const row: Record<string, unknown> = {};
  for (const column of columns)
    if (column.name in values) row[column.name] = values[column.name];
    else if (column.notnull && column.dflt_value === null)
      row[column.name] = /int/i.test(column.type) ? 1 : `${column.name} of ${table}`;
  await db.insertInto(table).values(row).execute();
}

async function rowsOf(db: AnyDatabase, table: string): Promise<unknown[]> {
  return (await sql`select * from ${sql.id(table)}`.execute(db)).rows;
}

async function schemaOf(db: AnyDatabase, table: string): Promise<{ sql: string; indexes: string[] }> {
  const { rows } = await sql<{
    type: string;
    name: string;
    sql: string | null;
  }>`select type, name, sql from sqlite_master
    where tbl_name = ${table} order by name`.execute(db);
  return {
    sql: rows.find((row) => row.type === "table")?.sql ?? "",
    indexes: rows.filter((row) => row.type === "index").map((row) => row.name),
  };
}

const cases: {
  context: string;
  migrations: Record<string, Migration>;
  rebuilding: string;
  parents: { table: string; values: Record<string, unknown> }[];
  rows: { table: string; values: Record<string, unknown> }[];
  indexes: Record<string, string[]>;
}[] = [
  {
    context: "payment",
    migrations: paymentMigrations,
    rebuilding: "0003_without_rowid",
    parents: [{ table: "payments", values: { payment_id: "pay_1" } }],
    rows: [
      { table: "charges", values: { charge_id: "chg_2", payment_id: "pay_1", kind: "CAPTURE" } },
      { table: "charges", values: { charge_id: "chg_1", payment_id: "pay_1", kind: "AUTHORIZATION" } },
      { table: "refunds", values: { refund_id: "ref_1", payment_id: "pay_1" } },
      { table: "idempotency_keys", values: { scope_key: "authorize:ord_1", request_hash: "ab".repeat(32) } },
      { table: "processor_webhooks", values: { webhook_id: "whk_1" } },
    ],
    // Charges by payment is no index of its own since 0004, which keys charges by (payment_id, charge_id).
    indexes: { charges: [], refunds: ["refunds_by_payment"] },
  },
  {
    context: "order",
    migrations: orderMigrations,
    rebuilding: "0005_order_rows_without_rowid",
    parents: [{ table: "orders", values: { order_id: "ord_1", total: 4000 } }],
    rows: [
      { table: "order_items", values: { order_id: "ord_1", position: 1, title: "The C Programming Language" } },
      { table: "order_status_history", values: { order_id: "ord_1", sequence: 2, to_status: "PAID" } },
      { table: "order_status_history", values: { order_id: "ord_1", sequence: 1, from_status: null } },
    ],
    indexes: {},
  },
  {
    context: "notification",
    migrations: notificationMigrations,
    rebuilding: "0004_attempts_without_rowid",
    parents: [],
    rows: [
      { table: "notification_attempts", values: { notification_id: "ntf_1", attempt_number: 1, status: "SENT" } },
      { table: "webhook_attempts", values: { delivery_id: "dlv_1", attempt_number: 1, response_status: 500 } },
    ],
    indexes: {},
  },
];

describe.each(cases)("the $context store's tables rebuilt without rowid", (test) => {
  it("keeps the rows written before, the indexes and the keys", async () => {
    const db = await storeBefore(test.migrations, test.rebuilding);
    for (const parent of test.parents) await insertRow(db, parent.table, parent.values);
    for (const row of test.rows) await insertRow(db, row.table, row.values);
    const tables = [...new Set(test.rows.map((row) => row.table))];
    const before = new Map<string, unknown[]>();
    for (const table of tables) before.set(table, await rowsOf(db, table));

    await migrate(db, test.migrations, { label: "test", table: "_migrations" });

    for (const table of tables) {
      const schema = await schemaOf(db, table);
      expect(schema.sql).toMatch(/ without rowid$/i);
      expect(schema.indexes).toEqual(test.indexes[table] ?? []);
      // The same rows, in key order now (they were in rowid order), in the columns they had (a later migration may
      // add one).
      const columns = Object.keys((before.get(table)?.[0] ?? {}) as Record<string, unknown>);
      const rows = (await rowsOf(db, table)).map((row) =>
        Object.fromEntries(columns.map((column) => [column, (row as Record<string, unknown>)[column]])),
      );
      expect(new Set(rows.map((row) => JSON.stringify(row)))).toEqual(
        new Set(before.get(table)?.map((row) => JSON.stringify(row))),
      );
      const first = test.rows.find((row) => row.table === table);
      if (first) await expect(insertRow(db, table, first.values)).rejects.toThrow(/UNIQUE constraint failed/);
    }
  });
});
