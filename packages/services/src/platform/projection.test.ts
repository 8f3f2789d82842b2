import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import { compilingKysely, recordingRunner } from "./__fixtures__/compiling-kysely.js";
import type { Param } from "./compiled-query.js";
import { projectionStatement } from "./projection.js";

interface Db {
  stock: { product_id: string; on_hand: number };
}

// Kysely instances that compile each dialect's SQL but run nothing: the runner records what it is asked to run.
const sqlite = compilingKysely<Db>("sqlite");
const postgres = compilingKysely<Db>("postgres");

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
