import {
  type CompiledQuery,
  DummyDriver,
  Kysely,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from "kysely";
import { describe, expect, it } from "vitest";
import { PreparedQueries } from "./prepared-queries.js";

interface Db {
  books: { id: string; title: string; format: string };
}

// Kysely that compiles SQLite SQL but runs nothing: the runner below records what it is asked to run.
const db = new Kysely<Db>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new SqliteIntrospector(kysely),
    createQueryCompiler: () => new SqliteQueryCompiler(),
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

const byFormat = (format: string, limit: number) => () =>
  db.selectFrom("books").select(["id", "title"]).where("format", "=", format).limit(limit);

describe("PreparedQueries", () => {
  it("compiles a shape once and runs its SQL with each call's parameters", async () => {
    const runner = recordingRunner();
    const queries = new PreparedQueries<{ id: string; title: string }>(runner);
    let builds = 0;
    const counted = (format: string, limit: number) => () => {
      builds++;
      return byFormat(format, limit)();
    };
    await queries.execute("by format", counted("ebook", 5), ["ebook", 5]);
    await queries.execute("by format", counted("paperback", 20), ["paperback", 20]);
    expect(builds).toBe(1);
    expect(runner.ran).toEqual([
      { sql: 'select "id", "title" from "books" where "format" = ? limit ?', parameters: ["ebook", 5] },
      { sql: 'select "id", "title" from "books" where "format" = ? limit ?', parameters: ["paperback", 20] },
    ]);
  });

  it("refuses, on a shape's first call, parameters that are not the ones its query binds in that order", async () => {
    const queries = new PreparedQueries<{ id: string; title: string }>(recordingRunner());
    await expect(queries.execute("by format", byFormat("ebook", 5), [5, "ebook"])).rejects.toThrow(
      /prepared query by format: its parameters are \["ebook",5\]/,
    );
    await expect(queries.execute("by format", byFormat("ebook", 5), ["ebook"])).rejects.toThrow(/not the ones given/);
  });
});
