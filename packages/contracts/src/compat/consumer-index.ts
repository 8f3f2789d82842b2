/**
 * Who depends on what, per `contexts.yaml`: which contexts subscribe to an event, send a command, or call an RPC.
 * Built from the context maps of both sides, so a consumer that the change itself removed is still named.
 */
export class ConsumerIndex {
  readonly #subscribers = new Map<string, Set<string>>();
  readonly #senders = new Map<string, Set<string>>();
  readonly #callers = new Map<string, Set<string>>();

  /** `maps`: the parsed `contexts.yaml` of each side (undefined when a side has none). */
  constructor(maps: readonly unknown[]) {
    for (const map of maps) {
      const contexts = (map as { contexts?: unknown } | undefined)?.contexts;
      if (!contexts || typeof contexts !== "object") continue;
      for (const [name, context] of Object.entries(contexts as Record<string, Record<string, unknown>>)) {
        add(this.#subscribers, context?.subscribes, name);
        add(this.#senders, context?.sends, name);
        add(this.#callers, context?.calls, name);
      }
    }
  }

  /** Contexts that consume message type `type` when `action` is how its owner handles it: `send` (an event or
   * command it publishes: its subscribers read it) or `receive` (a command it handles: its senders write it). */
  consumersOf(type: string, actions: ReadonlySet<"send" | "receive">): string[] {
    const found = new Set<string>();
    if (actions.size === 0 || actions.has("send"))
      for (const name of this.#subscribers.get(type) ?? []) found.add(name);
    if (actions.size === 0 || actions.has("receive")) for (const name of this.#senders.get(type) ?? []) found.add(name);
    return [...found].sort();
  }

  /** Contexts that call `method` (`ecom.inventory.v1.InventoryService/ReserveStock`). */
  callersOf(method: string): string[] {
    return [...(this.#callers.get(method) ?? [])].sort();
  }

  /** Contexts that call any method of `service` (`ecom.inventory.v1.InventoryService`). */
  callersOfService(service: string): string[] {
    const found = new Set<string>();
    for (const [method, names] of this.#callers) {
      if (method.startsWith(`${service}/`)) for (const name of names) found.add(name);
    }
    return [...found].sort();
  }
}

function add(index: Map<string, Set<string>>, values: unknown, context: string): void {
  if (!Array.isArray(values)) return;
  for (const value of values) {
    if (typeof value !== "string") continue;
    let set = index.get(value);
    if (!set) {
      set = new Set();
      index.set(value, set);
    }
    set.add(context);
  }
}
