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

/** A Kysely that compiles `dialect`'s SQL but runs nothing: pair it with {@link recordingRunner}. */
export function compilingKysely<TDatabase>(dialect: "sqlite" | "postgres"): Kysely<TDatabase> {
  const sqlite = dialect === "sqlite";
  return new Kysely<TDatabase>({
    dialect: {
      createAdapter: () => (sqlite ? new SqliteAdapter() : new PostgresAdapter()),
      createDriver: () => new DummyDriver(),
      createIntrospector: (kysely) => (sqlite ? new SqliteIntrospector(kysely) : new PostgresIntrospector(kysely)),
      createQueryCompiler: () => (sqlite ? new SqliteQueryCompiler() : new PostgresQueryCompiler()),
    },
  });
}

/** A runner of compiled queries that records each SQL text and its parameters, and answers no rows. */
export function recordingRunner() {
  const ran: { sql: string; parameters: readonly unknown[] }[] = [];
  return {
    ran,
    async executeQuery<TRow>(query: CompiledQuery<TRow>) {
      ran.push({ sql: query.sql, parameters: query.parameters });
      return { rows: [] as TRow[] };
    },
  };
}
