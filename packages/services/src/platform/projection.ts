import type { MessageType } from "@ecom/sdk";
import type { Compilable, Kysely } from "kysely";
import { type CompiledStatement, compileQuery, type NoParams, type Param } from "./compiled-query.js";
import type { MessageHandler } from "./context-module.js";
import { dialectOf, type SqlDialect } from "./dialect.js";

/**
 * A read model kept from events: one function per event type of (event, transaction), writing only the projection's
 * own tables. The runtime calls the very same functions when it delivers an event live and when `ecom replay`
 * rebuilds the tables from the log, so there is no second implementation to drift. A handler must therefore read
 * nothing but the event and its own tables — no clock, ids, random numbers, RPCs or the context's fact tables — and
 * publish nothing (a context that reacts to a projection's change does so in its own subscription, which runs after
 * the projection in the same transaction live and is skipped by replay).
 */
export interface Projection<TDatabase> {
  /** The entity's name in contracts/contexts.yaml (`kind: projection`). */
  readonly name: string;
  /** The tables only this projection writes; replay empties and rebuilds exactly these. */
  readonly tables: readonly (keyof TDatabase & string)[];
  /** The events it is built from (its `builtFrom`), each with the function that applies one. */
  readonly handlers: { readonly [TType in MessageType]?: MessageHandler<TDatabase, TType> };
}

/** Declare a projection (an identity function that fixes the database type). */
export function defineProjection<TDatabase>(projection: Projection<TDatabase>): Projection<TDatabase> {
  return projection;
}

/** A projection of any store type, for the runtime that runs them (see `AnyContextModule` for why `any`). */
// biome-ignore lint/suspicious/noExplicitAny: each projection is checked against its own store type where defined.
export type AnyProjection = Projection<any>;

/** The event types any of `projections` is built from, in first-seen order. */
export function projectedTypes(projections: readonly AnyProjection[]): MessageType[] {
  const types = new Set<MessageType>();
  for (const projection of projections)
    for (const type of Object.keys(projection.handlers)) types.add(type as MessageType);
  return [...types];
}

/**
 * One handler per event type for a subscriber: every projection built from the type applies the event first, in the
 * order they are declared, then the context's own subscription (if any) reacts, all in the delivery's transaction.
 */
export function composeSubscriber(
  projections: readonly AnyProjection[],
  subscriptions: Readonly<Record<string, MessageHandler<never, never>>> | undefined,
): Record<string, MessageHandler<never, never>> {
  const handlers: Record<string, MessageHandler<never, never>> = {};
  const types = new Set([...projectedTypes(projections), ...Object.keys(subscriptions ?? {})]);
  for (const type of types) {
    const appliers: MessageHandler<never, never>[] = projections
      .map((projection) => (projection.handlers as Record<string, MessageHandler<never, never> | undefined>)[type])
      .filter((handler): handler is MessageHandler<never, never> => handler !== undefined);
    const own = subscriptions?.[type];
    handlers[type] = async (message, trx) => {
      for (const apply of appliers) await apply(message, trx);
      if (own) await own(message, trx);
    };
  }
  return handlers;
}

/**
 * A statement of a projection's handlers, built and compiled once per SQL dialect, the first time a handler runs it
 * on a store of that dialect (see compileQuery): a projection is defined once for every store, live and replayed, so
 * it has no store to build with until a handler runs. A store's SQL depends on its dialect only (PostgreSQL stores
 * find their schema by `search_path`, not by name in the SQL). A handler runs it as `statement(trx).execute(trx, …)`.
 */
export function projectionStatement<TDatabase, TParams = NoParams, TRow = unknown>(
  build: (db: Kysely<TDatabase>, param: Param<TParams>) => Compilable<TRow>,
): (db: Kysely<TDatabase>) => CompiledStatement<TParams, TRow> {
  const byDialect = new Map<SqlDialect, CompiledStatement<TParams, TRow>>();
  return (db) => {
    const dialect = dialectOf(db);
    let statement = byDialect.get(dialect);
    if (!statement) {
      statement = compileQuery((param: Param<TParams>) => build(db, param));
      byDialect.set(dialect, statement);
    }
    return statement;
  };
}
