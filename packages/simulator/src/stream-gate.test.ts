import { describe, expect, it } from "vitest";
import { createStreamGate } from "./stream-gate.js";

/** A gate on a clock and timers of the test's own: `advance` moves the clock, `fire` runs the timers set so far. */
function gateOnTestClock(share: number) {
  let clock = 0;
  const timers: { ms: number; then: () => void }[] = [];
  const gate = createStreamGate({
    share,
    now: () => clock,
    after: (ms, then) => {
      timers.push({ ms, then });
    },
  });
  return {
    gate,
    timers,
    advance: (ms: number) => {
      clock += ms;
    },
    fire: () => {
      for (const timer of timers.splice(0)) timer.then();
    },
  };
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the event streams' read gate", () => {
  it("holds the next page back until the streams have had at most their share of the time", async () => {
    const { gate, timers, advance, fire } = gateOnTestClock(0.25);
    const ran: string[] = [];
    const first = gate.run(async () => {
      ran.push("first");
      advance(2);
    });
    const second = gate.run(async () => {
      ran.push("second");
    });
    await first;
    await settled();
    // 2 ms of page at a quarter share: the next page may start 8 ms after the first started, 6 ms from now.
    expect(ran).toEqual(["first"]);
    expect(timers.map((timer) => timer.ms)).toEqual([6]);
    advance(6);
    fire();
    await second;
    expect(ran).toEqual(["first", "second"]);
  });

  it("runs pages one at a time, in the order they asked", async () => {
    const { gate, advance, fire } = gateOnTestClock(1);
    const events: string[] = [];
    const page = (name: string) =>
      gate.run(async () => {
        events.push(`${name} starts`);
        await settled();
        advance(1);
        events.push(`${name} ends`);
      });
    const all = Promise.all([page("a"), page("b"), page("c")]);
    // A share of 1 rests only for a turn of the loop between pages; fire any timer it asks for all the same.
    while (events.length < 6) {
      fire();
      await settled();
    }
    await all;
    expect(events).toEqual(["a starts", "a ends", "b starts", "b ends", "c starts", "c ends"]);
  });

  it("frees the gate when a page fails", async () => {
    const { gate } = gateOnTestClock(1);
    await expect(
      gate.run(async () => {
        throw new Error("the log is gone");
      }),
    ).rejects.toThrow("the log is gone");
    await expect(gate.run(async () => "next")).resolves.toBe("next");
  });

  it("gives the loop a turn after a rest on a timer too, though the timer was due at once (a loaded machine)", async () => {
    // Every page seems to take 4 ms (the process was preempted), so each rests on a timer, and the timer fires at
    // once, in the turn the page ran in, as a due timer of a loaded process does: the next page still waits a turn.
    let clock = 0;
    const gate = createStreamGate({
      share: 0.5,
      now: () => clock,
      after: (_ms, then) => then(),
    });
    let pagesThisTurn = 0;
    let mostInOneTurn = 0;
    const done = { value: false };
    const probe = () => {
      mostInOneTurn = Math.max(mostInOneTurn, pagesThisTurn);
      pagesThisTurn = 0;
      if (!done.value) setImmediate(probe);
    };
    setImmediate(probe);
    const page = () =>
      gate.run(async () => {
        pagesThisTurn += 1;
        clock += 4;
      });
    await Promise.all(Array.from({ length: 20 }, page));
    done.value = true;
    expect(Math.max(mostInOneTurn, pagesThisTurn)).toBe(1);
  });

  it("gives the loop a turn between any two pages, however many streams wait (a hundred replays once took every turn)", async () => {
    // Real timers here: pages that take no time at all still leave the loop a turn in between, so new connections
    // and requests (a /healthz) are never stuck behind a page of every stream.
    const gate = createStreamGate({ share: 0.25 });
    let pagesThisTurn = 0;
    let mostInOneTurn = 0;
    let turns = 0;
    const done = { value: false };
    const probe = () => {
      mostInOneTurn = Math.max(mostInOneTurn, pagesThisTurn);
      pagesThisTurn = 0;
      turns += 1;
      if (!done.value) setImmediate(probe);
    };
    setImmediate(probe);
    // A hundred streams, each reading three pages and yielding a turn in between, as a replaying stream does.
    const stream = async () => {
      for (let page = 0; page < 3; page++) {
        await gate.run(async () => {
          pagesThisTurn += 1;
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(Array.from({ length: 100 }, stream));
    done.value = true;
    expect(mostInOneTurn).toBeLessThanOrEqual(1);
    expect(turns).toBeGreaterThanOrEqual(299);
  });

  it("refuses a share that is not a part of the time", () => {
    expect(() => createStreamGate({ share: 0 })).toThrow(RangeError);
    expect(() => createStreamGate({ share: 1.5 })).toThrow(RangeError);
  });
});
