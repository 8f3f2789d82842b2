import { UsageError } from "./exit-codes.js";
import { withoutCredentials } from "./options.js";

/**
 * Where the platform runs, from --store/--bus/--namespace or their variables: both or neither, never one alone.
 * --memory, a choice made on the command line, outweighs the variables (a shell that exports them for `ecom serve`
 * still runs a throwaway `sim up --memory`), never the flags.
 */
export function parseBackends(
  options: {
    readonly store?: string;
    readonly bus?: string;
    readonly namespace?: string;
    readonly seed?: string;
    readonly memory?: boolean;
  },
  env: NodeJS.ProcessEnv = process.env,
): { storeUrl: string; busUrl: string; namespace?: string } | undefined {
  if (options.memory) {
    if (options.store !== undefined || options.bus !== undefined)
      throw new UsageError("--memory keeps nothing and --store keeps everything in PostgreSQL: pass one of them");
    env = {};
  }
  const storeUrl = options.store ?? (env.ECOM_STORE_URL || undefined);
  const busUrl = options.bus ?? (env.ECOM_BUS_URL || undefined);
  const namespace = options.namespace ?? (env.ECOM_NAMESPACE || undefined);
  if (storeUrl === undefined && busUrl === undefined) {
    if (options.namespace !== undefined) throw new UsageError("--namespace needs --store and --bus");
    return undefined;
  }
  if (busUrl === undefined)
    throw new UsageError(
      "--store needs --bus nats://host:port (or ECOM_BUS_URL): the embedded event log is a SQLite file",
    );
  if (storeUrl === undefined)
    throw new UsageError(
      "--bus needs --store postgres://… (or ECOM_STORE_URL): the subscribers' cursors live in the stores",
    );
  if (!/^postgres(ql)?:\/\//.test(storeUrl) || !URL.canParse(storeUrl))
    throw new UsageError(`--store takes a postgres://user@host:port/database URL, not ${withoutCredentials(storeUrl)}`);
  if (!/^nats:\/\//.test(busUrl) || !URL.canParse(busUrl))
    throw new UsageError(`--bus takes a nats://host:port URL, not ${withoutCredentials(busUrl)}`);
  if (namespace !== undefined && !/^[a-z0-9_]+$/.test(namespace))
    throw new UsageError(`--namespace takes lower-case letters, digits and _ only, not ${namespace}`);
  // A seeded run's clock and ids start over at every start, and PostgreSQL keeps no saved clock yet: a restart would
  // mint the first run's event ids again, which JetStream drops as repeats.
  if (options.seed !== undefined)
    throw new UsageError(
      "--seed works with --data or --memory only: on --store a restart would reuse the ids of its first run",
    );
  return { storeUrl, busUrl, ...(namespace === undefined ? {} : { namespace }) };
}
