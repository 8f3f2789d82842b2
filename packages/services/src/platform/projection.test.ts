import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import { describe, expect, it } from "vitest";
import type { Param } from "./compiled-query.js";
import { projectionStatement } from "./projection.js";

interface Db {
  stock: { product_id: string; on_hand: number };
}

// Kysely instances that compile each dialect's SQL but run nothing: the runner below records what it is asked to run.
const sqlite = new Kysely<Db>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new SqliteIntrospector(kysely),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});
const postgres = new Kysely<Db>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

function recordingRunner() {
  const ran: { sql: string; parameters: readonly unknown[] }[] = [];
  return {
    ran,
    async executeQuery<TRow>(query: CompiledQuery<TRow>) {
      ran.push({ sql: query.sql, parameters: query.parameters });
      return { rows: [] as TRow[] };
    },
  };
}

describe("projectionStatement", () => {
  it("builds once per dialect, with the store a handler first runs it on, and runs each call's values", async () => {
    let builds = 0;
    const take = projectionStatement((db: Kysely<Db>, param: Param<{ productId: string; quantity: number }>) => {
      builds++;
      return db
        .updateTable("stock")
        .set((eb) => ({ on_hand: eb("on_hand", "-", param("quantity")) }))
        .where("product_id", "=", param("productId"));
    });
    const runner = recordingRunner();
    await take(sqlite).execute(runner, { productId: "prd_1", quantity: 2 });
    await take(sqlite).execute(runner, { productId: "prd_2", quantity: 1 });
    await take(postgres).execute(runner, { productId: "prd_3", quantity: 4 });
    await take(postgres).execute(runner, { productId: "prd_4", quantity: 5 });
    expect(builds).toBe(2);
    expect(runner.ran).toEqual([
      { sql: 'update "stock" set "on_hand" = "on_hand" - ? where "product_id" = ?', parameters: [2, "prd_1"] },
      { sql: 'update "stock" set "on_hand" = "on_hand" - ? where "product_id" = ?', parameters: [1, "prd_2"] },
      { sql: 'update "stock" set "on_hand" = "on_hand" - $1 where "product_id" = $2', parameters: [4, "prd_3"] },
      { sql: 'update "stock" set "on_hand" = "on_hand" - $1 where "product_id" = $2', parameters: [5, "prd_4"] },
    ]);
  });
});
