import type { EcomMessage } from "@ecom/sdk";
import { type AnyContextModule, type AnyProjection, composeSubscriber, projectedTypes } from "@ecom/services/platform";
import type { Kysely, Transaction } from "kysely";
import type { LoggedEvent } from "../event-log.js";
import type { TableDifference } from "./table-diff.js";

/** Events read from the log and applied per transaction: memory stays bounded however long the log. */
export const PAGE_SIZE = 1_000;

/** A replay that cannot run: a usage or I/O problem (no data folder, an unknown context, a store missing). */
export class ReplayError extends Error {
  override name = "ReplayError";
}

/** Where a replay is. */
export interface ReplayProgress {
  readonly context: string;
  /** Events of this context's projected types read so far. */
  readonly applied: number;
  /** Events this context will read in all, when the log can count them cheaply (SQLite's can, a stream cannot). */
  readonly total: number | undefined;
  /** The log position reached, and the one the context replays up to (its delivery cursor). */
  readonly seq: number;
  readonly upTo: number;
}

/** What a replay did for one context. */
export interface ContextReplay {
  readonly context: string;
  /** The projections rebuilt (contexts.yaml entity names). */
  readonly projections: readonly string[];
  readonly tables: readonly string[];
  /** Events applied: those of the projections' types up to the context's delivery cursor. */
  readonly events: number;
  /** With verify: how the live tables differ from the rebuild (empty when identical). */
  readonly differences: readonly TableDifference[];
  /**
   * Set when the context's store was lost and made anew: `lostFacts` names its tables of original facts, which no
   * event carries and which are now empty for good (search's `search_interactions`); empty for a read-model-only store.
   */
  readonly recreated?: { readonly lostFacts: readonly string[] };
}

/** What a replay did. */
export interface ReplayReport {
  readonly verified: boolean;
  readonly contexts: readonly ContextReplay[];
  readonly events: number;
}

/** The log as a replay reads it, on either backend. */
export interface ReplayLog {
  /**
   * The events of `types` with a sequence number up to `upTo`, in log order, a page of at most `pageSize` at a time.
   * A repeat of an eventId (a stream message republished past its duplicate window) may be among them.
   */
  pages(options: {
    readonly types: readonly string[];
    readonly upTo: number;
    readonly pageSize: number;
  }): AsyncIterable<readonly LoggedEvent[]>;
  /** How many events of `types` up to `upTo` there are, when the log can say without reading them. */
  count?(options: { readonly types: readonly string[]; readonly upTo: number }): Promise<number>;
}

/** How far a context's subscriber got, and which events it gave up on. */
export interface DeliveryState {
  /** The log position its read models reflect (its `_cursor`). */
  readonly upTo: number;
  /** Events it dead-lettered: their effects were rolled back, so replay skips them too. */
  readonly deadLetters: ReadonlySet<string>;
}

/** The contexts to replay: `only` (by name, in that order), or every one that keeps a read model. */
export function chooseContexts(
  contexts: readonly AnyContextModule[],
  only: readonly string[] | undefined,
): AnyContextModule[] {
  const modules = contexts.filter((module) => (module.projections ?? []).length > 0);
  if (!only || only.length === 0) return modules;
  return only.map((name) => {
    const module = modules.find((candidate) => candidate.name === name);
    if (!module)
      throw new ReplayError(
        `${name} keeps no read model; choose from ${modules.map((candidate) => candidate.name).join(", ")}`,
      );
    return module;
  });
}

/** The read-model tables of a context (what replay empties and fills), and its projections' names. */
export function readModelsOf(module: AnyContextModule): { projections: string[]; tables: string[] } {
  const projections: readonly AnyProjection[] = module.projections ?? [];
  return {
    projections: projections.map((projection) => projection.name),
    tables: projections.flatMap((projection) => projection.tables),
  };
}

/**
 * Apply the log to a context's freshly migrated projection tables in `scratch`, with the very handlers the running
 * platform applies on delivery (composeSubscriber, projections only), a page per transaction. As the subscriber
 * did: only up to its cursor, never an event it dead-lettered, and an eventId once (its inbox skips a repeat).
 * Resolves with the events read.
 */
export async function rebuildProjections(options: {
  readonly module: AnyContextModule;
  readonly log: ReplayLog;
  readonly scratch: Kysely<unknown>;
  readonly delivery: DeliveryState;
  readonly pageSize?: number | undefined;
  readonly onProgress?: ((progress: ReplayProgress) => void) | undefined;
}): Promise<number> {
  const { module, log, delivery } = options;
  const projections: readonly AnyProjection[] = module.projections ?? [];
  const handlers = composeSubscriber(projections, undefined);
  const types = projectedTypes(projections);
  const total = await log.count?.({ types, upTo: delivery.upTo });
  const seen = new Set<string>();
  let applied = 0;
  for await (const page of log.pages({ types, upTo: delivery.upTo, pageSize: options.pageSize ?? PAGE_SIZE })) {
    await options.scratch.transaction().execute(async (trx) => {
      for (const event of page) {
        if (delivery.deadLetters.has(event.eventId) || seen.has(event.eventId)) continue;
        seen.add(event.eventId);
        const handler = handlers[event.eventType]!;
        await handler(JSON.parse(event.envelope) as EcomMessage as never, trx as unknown as Transaction<never>);
      }
    });
    applied += page.length;
    const seq = page.at(-1)?.seq ?? delivery.upTo;
    options.onProgress?.({ context: module.name, applied, total, seq, upTo: delivery.upTo });
  }
  return applied;
}
