import { type ContextRuntime, noFaults } from "@ecom/services/platform";
import type { Kysely } from "kysely";

/**
 * A context's runtime as one process has it, for tests that run a context's rules over a test's store and fake what
 * surrounds it: `parts` gives what the test looks at (its RPC clients, its clock; an outbox or a log that records),
 * and the rest does nothing. Ids and published event ids count up from 1 behind `idTag` (`evt_<tag>_1`), so two
 * runtimes over one store, as two processes, never make the same id.
 */
export function testContextRuntime<TDatabase>(
  parts: Pick<ContextRuntime<TDatabase>, "name" | "rpc" | "clock"> &
    Partial<Omit<ContextRuntime<TDatabase>, "name" | "rpc" | "clock" | "db">> & {
      readonly db: Kysely<TDatabase>;
      readonly idTag?: string;
    },
): ContextRuntime<TDatabase> {
  let ids = 0;
  const { idTag, ...given } = parts;
  const tagged = (prefix: string) => (idTag === undefined ? `${prefix}_${++ids}` : `${prefix}_${idTag}_${++ids}`);
  return {
    // Nothing these tests run needs an after-commit hook (the runtime's own only fill memories and relay events).
    afterCommit: () => undefined,
    closing: new AbortController().signal,
    sleep: async () => undefined,
    outbox: { publish: async () => tagged("evt") },
    ids: { next: tagged },
    random: () => 0.5,
    tokens: {
      issue: () => "",
      verify: () => {
        throw new Error("no token is verified here");
      },
    },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    faults: noFaults(),
    ...given,
  };
}
