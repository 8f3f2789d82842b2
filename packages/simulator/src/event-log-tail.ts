import type { LoggedEvent } from "./event-log.js";

/**
 * The newest events of the log, as this process appended them, in `seq` order: every event is read soon after it is
 * appended, by each subscriber of its type, and one near the head of the log is answered from here without a
 * statement (a dispatcher's poll cost about 45 µs inside SQLite, with a temporary B-tree to order the rows when it
 * asks for many types) and without unpacking an envelope. Sound because the process that holds the log is its only
 * writer (the data folder's lock) and appends in `seq` order: every event after {@link EventLogTail.from} that the
 * log has told of is here.
 */
export class EventLogTail {
  /** In `seq` order, oldest first. */
  #events: LoggedEvent[] = [];
  /** Every event of the log after this `seq` is in {@link #events} (once the append that wrote it is told of). */
  #from: number;
  /** The types of a reader's list, as a set, by the list (a dispatcher reads with the same list at every pass). */
  readonly #typeSets = new WeakMap<readonly string[], ReadonlySet<string>>();

  constructor(
    /** The log's newest `seq` when it was opened: nothing after it is in the log yet. */
    lastSeq: number,
    /** How many events it keeps; it keeps up to a quarter more between trims. */
    private readonly capacity = 4096,
  ) {
    this.#from = lastSeq;
  }

  /** The `seq` after which every event of the log is held. */
  get from(): number {
    return this.#from;
  }

  /** Hold events just committed, in `seq` order, each after every event held (an append's new rows). */
  add(events: readonly LoggedEvent[]): void {
    for (const event of events) {
      const last = this.#events.at(-1)?.seq ?? this.#from;
      if (event.seq <= last) {
        // Never, while this process is the log's only writer: answer nothing from memory from now on rather than
        // risk skipping an event.
        this.#events = [];
        this.#from = Number.POSITIVE_INFINITY;
        return;
      }
      this.#events.push(event);
    }
    // Trimmed a quarter at a time, so the copy is paid once per thousand appends, not at each.
    if (this.#events.length > this.capacity + this.capacity / 4) {
      const dropped = this.#events.length - this.capacity;
      this.#from = this.#events[dropped - 1]!.seq;
      this.#events = this.#events.slice(dropped);
    }
  }

  /** The event held at `seq`, if any. */
  get(seq: number): LoggedEvent | undefined {
    const at = this.#firstAfter(seq - 1);
    const event = this.#events[at];
    return event?.seq === seq ? event : undefined;
  }

  /**
   * The events after `afterSeq`, of `types` when given, in log order, at most `limit`; undefined when some event after
   * `afterSeq` may not be held (the log itself must be read).
   */
  read(afterSeq: number, types: readonly string[] | undefined, limit: number): LoggedEvent[] | undefined {
    if (afterSeq < this.#from) return undefined;
    const wanted = types && this.#setOf(types);
    const events: LoggedEvent[] = [];
    for (let at = this.#firstAfter(afterSeq); at < this.#events.length && events.length < limit; at++) {
      const event = this.#events[at]!;
      if (!wanted || wanted.has(event.eventType)) events.push(event);
    }
    return events;
  }

  /** The index of the first event held after `seq` (binary search: held events are in `seq` order). */
  #firstAfter(seq: number): number {
    let low = 0;
    let high = this.#events.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#events[middle]!.seq <= seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  #setOf(types: readonly string[]): ReadonlySet<string> {
    let set = this.#typeSets.get(types);
    if (!set) {
      set = new Set(types);
      this.#typeSets.set(types, set);
    }
    return set;
  }
}
