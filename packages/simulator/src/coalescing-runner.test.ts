import { describe, expect, it } from "vitest";
import { CoalescingRunner } from "./coalescing-runner.js";

/** A runner whose passes each wait for `release`, counting how many started and finished. */
function gated() {
  const passes = { started: 0, finished: 0 };
  let release: () => void = () => {};
  const runner = new CoalescingRunner(
    async () => {
      passes.started++;
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      passes.finished++;
    },
    () => {},
  );
  return { runner, passes, release: () => release() };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("the coalescing runner", () => {
  it("starts a flush's pass at once (an after-commit hook awaits it), a kick's on the next turn", async () => {
    const flushed = gated();
    void flushed.runner.flush();
    await Promise.resolve();
    await Promise.resolve();
    expect(flushed.passes.started).toBe(1);
    const kicked = gated();
    kicked.runner.kick();
    await Promise.resolve();
    await Promise.resolve();
    expect(kicked.passes.started).toBe(0);
    let idle = false;
    const waiting = kicked.runner.idle().then(() => {
      idle = true;
    });
    await turn();
    expect({ started: kicked.passes.started, idle }).toEqual({ started: 1, idle: false });
    kicked.release();
    await waiting;
  });

  it("answers a flush only once a pass that started after it has finished", async () => {
    const { runner, passes, release } = gated();
    runner.kick();
    await turn();
    let flushed = false;
    const flush = runner.flush().then(() => {
      flushed = true;
    });
    // The pass under way started before the flush: its end does not answer it.
    release();
    await turn();
    expect({ flushed, finished: passes.finished, started: passes.started }).toEqual({
      flushed: false,
      finished: 1,
      started: 2,
    });
    release();
    await flush;
    expect(passes.finished).toBe(2);
  });

  it("answers a flush at once when stopped, and the ones waiting when it stops", async () => {
    const { runner, release } = gated();
    runner.kick();
    await turn();
    const waiting = runner.flush();
    runner.stop();
    release();
    await waiting;
    await runner.flush();
  });
});
