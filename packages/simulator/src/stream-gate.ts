/**
 * The event streams' share of the event loop. A stream's page (read from the log, frames written to its socket)
 * never waits for I/O: it runs to the end in one go. So a cap on pages *at once* caps nothing — with 100 clients
 * replaying the log, every stream read and wrote a page on every turn of the loop, a turn took hundreds of
 * milliseconds, and a /healthz waited seconds to be accepted. This gate runs the streams' work (their pages, and
 * opening them: a handshake, a replay's first read) one piece at a time, first come first served, and after each
 * holds the next back until the streams' time is at most `share` of the time gone by: a page that took 2 ms at a
 * share of a quarter is followed by 6 ms in which new connections, requests and timers have the loop, and a burst of
 * hundreds of new streams is let in at the same pace instead of all in the turn they arrived. It measures time, not
 * bytes, so a machine loaded by other work slows the streams down instead of the requests.
 */
export interface StreamGate {
  /** Run one piece of a stream's work (a page, an admission) in its turn. */
  run<TResult>(work: () => Promise<TResult>): Promise<TResult>;
}

/** What {@link createStreamGate} needs. */
export interface StreamGateOptions {
  /** The part of the loop's time the streams may take, above 0 and at most 1. */
  readonly share: number;
  /** Milliseconds now (default `performance.now`); tests pass a clock of their own. */
  readonly now?: () => number;
  /** Call `then` after `ms` milliseconds (default `setTimeout`); tests pass a scheduler of their own. */
  readonly after?: (ms: number, then: () => void) => void;
}

/** A {@link StreamGate} that lets the streams take `share` of the loop. */
export function createStreamGate(options: StreamGateOptions): StreamGate {
  if (!(options.share > 0 && options.share <= 1)) throw new RangeError("share must be above 0 and at most 1");
  const now = options.now ?? (() => performance.now());
  const after = options.after ?? ((ms, then) => setTimeout(then, ms));
  let busy = false;
  let resting = false;
  const waiting: (() => void)[] = [];

  const admit = () => {
    if (busy || resting || waiting.length === 0) return;
    busy = true;
    waiting.shift()?.();
  };
  /**
   * Rest `ms` before the next page: on a timer, or for one turn of the loop when that is less than a millisecond.
   * Either way the next page starts in the loop's check phase (setImmediate), after a poll for I/O: a timer's
   * callback runs before the poll, so a page started there could follow one that ran in the last check phase with
   * no new connection or request let in between (as on a loaded machine, where a page's rest outlasts its turn).
   */
  const rest = (ms: number) => {
    resting = true;
    const resume = () => {
      resting = false;
      admit();
    };
    if (ms >= 1) after(Math.ceil(ms), () => setImmediate(resume));
    else setImmediate(resume);
  };

  return {
    async run(work) {
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        admit();
      });
      const started = now();
      try {
        return await work();
      } finally {
        // A page's writes reach the socket in a process.nextTick after it (node corks an HTTP response's writes
        // until then): waiting for a tick of our own counts them in the page's time.
        await new Promise<void>((resolve) => process.nextTick(resolve));
        const took = now() - started;
        busy = false;
        rest(started + took / options.share - now());
      }
    },
  };
}
