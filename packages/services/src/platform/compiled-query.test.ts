import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { compilingKysely, recordingRunner } from "./__fixtures__/compiling-kysely.js";
import { compileQuery, type Param } from "./compiled-query.js";

interface Db {
  books: { id: string; title: string; format: string };
}

// Kysely that compiles SQLite SQL but runs nothing: the runner records what it is asked to run.
const db = compilingKysely<Db>("sqlite");

describe("compileQuery", () => {
  it("builds once and runs the SQL with each call's values in the order it binds them, constants as written", async () => {
    let builds = 0;
    const byFormat = compileQuery((param: Param<{ format: string; title: string }>) => {
      builds++;
      return db
        .selectFrom("books")
        .select("id")
        .where("title", ">", param("title"))
        .where("format", "=", param("format"))
        .limit(20);
    });
    const runner = recordingRunner();
    await byFormat.execute(runner, { format: "ebook", title: "A" });
    await byFormat.execute(runner, { title: "M", format: "paperback" });
    expect(builds).toBe(1);
    expect(runner.ran).toEqual([
      { sql: byFormat.sql, parameters: ["A", "ebook", 20] },
      { sql: byFormat.sql, parameters: ["M", "paperback", 20] },
    ]);
  });

  it("binds a value named twice at both places", async () => {
    const same = compileQuery((param: Param<{ id: string }>) =>
      db.selectFrom("books").select("id").where("id", "=", param("id")).where("title", "<>", param("id")),
    );
    const runner = recordingRunner();
    await same.execute(runner, { id: "b_1" });
    expect(runner.ran[0]?.parameters).toEqual(["b_1", "b_1"]);
  });

  it("binds only the values its query names, so one set of values serves every shape of a query", async () => {
    // A list built once per combination of its filters (catalog's product list) is given every filter's value.
    const byFormat = compileQuery((param: Param<{ format: string; title: string }>) =>
      db.selectFrom("books").select(["id", "title"]).where("format", "=", param("format")).limit(5),
    );
    const runner = recordingRunner();
    await byFormat.execute(runner, { title: "unused", format: "ebook" });
    expect(runner.ran).toEqual([
      { sql: 'select "id", "title" from "books" where "format" = ? limit ?', parameters: ["ebook", 5] },
    ]);
  });

  it("refuses a value the query does not bind as a parameter", () => {
    expect(() =>
      compileQuery((param: Param<{ id: string }>) => {
        param("id");
        return db.selectFrom("books").select("id").where("id", "=", sql.lit("b_1"));
      }),
    ).toThrow(/the value id is not bound as a parameter/);
  });
});
