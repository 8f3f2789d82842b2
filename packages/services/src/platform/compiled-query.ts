import type { Compilable, CompiledQuery, QueryResult } from "kysely";

/**
 * What runs a compiled query: a Kysely instance or a transaction of one (which runs it on the connection it holds),
 * on SQLite or PostgreSQL alike.
 */
export interface CompiledQueryRunner {
  executeQuery<TRow>(query: CompiledQuery<TRow>): Promise<QueryResult<TRow>>;
}

/**
 * Stands for a call's value in a query being compiled once: `param("eventId")` where the value would go. Typed as the
 * value's type, so the query builder checks it against its column as it would the value.
 */
export type Param<TParams> = <TName extends keyof TParams & string>(name: TName) => TParams[TName];

/** The values of a query that takes none: `compileQuery(() => …)` gives a statement run with no values. */
export type NoParams = Record<never, never>;

/** A call's values: none for a query that names none. */
type Values<TParams> = [keyof TParams] extends [never] ? [] : [values: TParams];

/** A query built and compiled once ({@link compileQuery}), run with each call's values. */
export interface CompiledStatement<TParams, TRow> {
  /** The SQL, as the dialect of the Kysely it was built with wrote it. */
  readonly sql: string;
  /** Its rows (none for a write without `returning`). */
  execute(runner: CompiledQueryRunner, ...values: Values<TParams>): Promise<TRow[]>;
  /** Its first row, if any. */
  executeTakeFirst(runner: CompiledQueryRunner, ...values: Values<TParams>): Promise<TRow | undefined>;
  /** How many rows an insert, update or delete changed (Kysely's `numAffectedRows`). */
  executeChanges(runner: CompiledQueryRunner, ...values: Values<TParams>): Promise<bigint>;
}

/** The place of one named value; built by {@link compileQuery} only, so bound values are told apart by identity. */
class ParamSlot {
  constructor(readonly name: string) {}
}

/**
 * Build `build`'s query once, compile it once, and give a statement that runs that SQL with each call's values: the
 * query builder's building and compiling cost more CPU than SQLite's running of a small statement, and a query's SQL
 * never changes, only its values. Every value that changes from call to call is written `param("name")` in `build`;
 * values written as they are (a cursor's fixed name, a batch size) are bound as they are, at every run. The query
 * must not change shape with its values (an `in` list's length, columns chosen by a call): build one per shape.
 *
 * It runs through Kysely's `executeQuery` of whatever it is given — a Kysely instance, or a transaction to take part
 * in it — so one statement serves both dialects and any executor of its store; on SQLite, the statement cache
 * prepares its SQL once too. Build it with the Kysely of the store it will run on (the SQL is that dialect's), for
 * example once, when a context's module or the runtime's relay is made:
 *
 * ```ts
 * const claim = compileQuery((param: Param<{ id: string; version: number; state: string }>) =>
 *   db.updateTable("checkouts").set({ state: param("state"), version: sql`version + 1` })
 *     .where("checkout_id", "=", param("id")).where("version", "=", param("version")),
 * );
 * if ((await claim.executeChanges(trx, { id, version, state: "PAID" })) !== 1n) throw new SagaMovedError(id);
 * ```
 *
 * A value `build` names but the query does not bind (a dialect wrote it into the SQL text) is refused here.
 */
export function compileQuery<TParams = NoParams, TRow = unknown>(
  build: (param: Param<TParams>) => Compilable<TRow>,
): CompiledStatement<TParams, TRow> {
  const named = new Map<string, ParamSlot>();
  const param = <TName extends keyof TParams & string>(name: TName): TParams[TName] => {
    let slot = named.get(name);
    if (!slot) {
      slot = new ParamSlot(name);
      named.set(name, slot);
    }
    // What the builder binds in the value's place; never reaches a database, since every run replaces it.
    return slot as unknown as TParams[TName];
  };
  const compiled = build(param).compile();
  const bound = compiled.parameters;
  for (const slot of named.values()) {
    if (!bound.includes(slot))
      throw new Error(`${compiled.sql}: the value ${slot.name} is not bound as a parameter (the SQL holds it as text)`);
  }
  const names = bound.map((value) => (value instanceof ParamSlot ? value.name : undefined));
  const run = (runner: CompiledQueryRunner, values: Values<TParams>): Promise<QueryResult<TRow>> => {
    const given = values[0] as Record<string, unknown> | undefined;
    const parameters = names.map((name, index) => (name === undefined ? bound[index] : given?.[name]));
    return runner.executeQuery<TRow>({
      query: compiled.query,
      queryId: compiled.queryId,
      sql: compiled.sql,
      parameters,
    });
  };
  return {
    sql: compiled.sql,
    execute: async (runner, ...values) => (await run(runner, values)).rows,
    executeTakeFirst: async (runner, ...values) => (await run(runner, values)).rows[0],
    executeChanges: async (runner, ...values) => (await run(runner, values)).numAffectedRows ?? 0n,
  };
}
