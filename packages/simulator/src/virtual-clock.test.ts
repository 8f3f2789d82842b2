import { describe, expect, it } from "vitest";
import { VirtualClock } from "./virtual-clock.js";

describe("the virtual clock's sleep", () => {
  it("ends when an advance passes its end, without waiting the real time", async () => {
    const clock = new VirtualClock({ start: new Date("2026-01-01T00:00:00Z"), frozen: true });
    let woke = false;
    const sleeping = clock.sleep(60 * 60_000).then(() => {
      woke = true;
    });
    clock.advance(30 * 60_000);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(30 * 60_000);
    await sleeping;
    expect(woke).toBe(true);
  });

  it("ends after its real time on a frozen clock nobody advances (backoff never hangs)", async () => {
    const clock = new VirtualClock({ start: new Date("2026-01-01T00:00:00Z"), frozen: true });
    await expect(clock.sleep(5)).resolves.toBeUndefined();
  });

  it("rejects with the signal's reason when it aborts, and at once when it already has", async () => {
    const clock = new VirtualClock();
    const closing = new AbortController();
    const sleeping = clock.sleep(60 * 60_000, closing.signal);
    closing.abort(new Error("the platform is closing"));
    await expect(sleeping).rejects.toThrow("the platform is closing");
    await expect(clock.sleep(1, closing.signal)).rejects.toThrow("the platform is closing");
  });
});
