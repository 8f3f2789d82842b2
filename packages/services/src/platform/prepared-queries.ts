import type { Compilable, CompiledQuery, QueryResult } from "kysely";

/** What runs a compiled query: a Kysely instance (not a transaction: a prepared read runs on its own). */
interface QueryRunner {
  executeQuery<TRow>(query: CompiledQuery<TRow>): Promise<QueryResult<TRow>>;
}

/**
 * Queries Kysely builds and compiles once per shape and then runs with each call's parameters. A read asked often
 * (a product, a page of products) spent as long building and compiling its query as SQLite spent running it; the
 * SQL text of a shape never changes, only its parameters do. A shape names which optional clauses the query has,
 * so its SQL is the same for every call of that shape.
 */
export class PreparedQueries<TRow> {
  readonly #compiled = new Map<string, CompiledQuery<TRow>>();

  constructor(
    private readonly db: QueryRunner,
    /** Shapes kept at most; a query has a handful (one per combination of its optional filters). */
    private readonly capacity = 64,
  ) {}

  /**
   * The rows of the query of `shape` with `parameters`, which must be the ones `build` binds, in the order its SQL
   * uses them (Kysely binds in clause order). The first call of a shape compiles `build()` and checks that its
   * parameters are `parameters`, so a list in the wrong order fails at once instead of answering wrong rows.
   */
  async execute(shape: string, build: () => Compilable<TRow>, parameters: readonly unknown[]): Promise<TRow[]> {
    let compiled = this.#compiled.get(shape);
    if (!compiled) {
      compiled = build().compile();
      const bound = compiled.parameters;
      if (bound.length !== parameters.length || bound.some((value, index) => value !== parameters[index]))
        throw new Error(`prepared query ${shape}: its parameters are ${JSON.stringify(bound)}, not the ones given`);
      if (this.#compiled.size >= this.capacity) this.#compiled.clear();
      this.#compiled.set(shape, compiled);
    }
    return (await this.db.executeQuery<TRow>({ ...compiled, parameters })).rows;
  }
}
