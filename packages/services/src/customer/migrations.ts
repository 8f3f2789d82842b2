import type { Migration } from "kysely";

/** The customer store's migrations, applied in name order. */
export const migrations: Record<string, Migration> = {
  "0001_customers": {
    async up(db) {
      await db.schema
        .createTable("customers")
        .addColumn("customer_id", "text", (column) => column.primaryKey())
        .addColumn("email", "text", (column) => column.notNull().unique())
        .addColumn("first_name", "text", (column) => column.notNull())
        .addColumn("last_name", "text", (column) => column.notNull())
        .addColumn("phone", "text")
        .addColumn("role", "text", (column) => column.notNull())
        .addColumn("membership_level", "text", (column) => column.notNull())
        .addColumn("language", "text", (column) => column.notNull())
        .addColumn("currency", "text", (column) => column.notNull())
        .addColumn("marketing_email", "integer", (column) => column.notNull())
        .addColumn("marketing_sms", "integer", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createTable("credentials")
        .addColumn("customer_id", "text", (column) => column.primaryKey().references("customers.customer_id"))
        .addColumn("password_hash", "text", (column) => column.notNull())
        .addColumn("failed_attempts", "integer", (column) => column.notNull().defaultTo(0))
        .addColumn("failure_window_started_at", "text")
        .addColumn("locked_until", "text")
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
    },
  },
  "0002_sessions": {
    async up(db) {
      await db.schema
        .createTable("sessions")
        .addColumn("session_id", "text", (column) => column.primaryKey())
        .addColumn("customer_id", "text", (column) => column.notNull().references("customers.customer_id"))
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("revoked_at", "text")
        .addColumn("revoked_reason", "text")
        .execute();
      await db.schema.createIndex("sessions_by_customer").on("sessions").column("customer_id").execute();
      await db.schema
        .createTable("refresh_tokens")
        .addColumn("token_hash", "text", (column) => column.primaryKey())
        .addColumn("session_id", "text", (column) => column.notNull().references("sessions.session_id"))
        .addColumn("issued_at", "text", (column) => column.notNull())
        .addColumn("expires_at", "text", (column) => column.notNull())
        .addColumn("used_at", "text")
        .execute();
      await db.schema
        .createTable("access_tokens")
        .addColumn("token_id", "text", (column) => column.primaryKey())
        .addColumn("session_id", "text", (column) => column.notNull().references("sessions.session_id"))
        .addColumn("expires_at", "text", (column) => column.notNull())
        .execute();
      await db.schema.createIndex("access_tokens_by_expiry").on("access_tokens").column("expires_at").execute();
    },
  },
  "0003_addresses": {
    async up(db) {
      await db.schema
        .createTable("addresses")
        .addColumn("address_id", "text", (column) => column.primaryKey())
        .addColumn("customer_id", "text", (column) => column.notNull().references("customers.customer_id"))
        .addColumn("label", "text", (column) => column.notNull())
        .addColumn("is_default", "integer", (column) => column.notNull())
        .addColumn("address", "text", (column) => column.notNull())
        .addColumn("created_at", "text", (column) => column.notNull())
        .addColumn("updated_at", "text", (column) => column.notNull())
        .execute();
      await db.schema
        .createIndex("addresses_by_customer")
        .on("addresses")
        .columns(["customer_id", "is_default", "address_id"])
        .execute();
    },
  },
};
