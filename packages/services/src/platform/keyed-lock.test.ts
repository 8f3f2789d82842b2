import { describe, expect, it } from "vitest";
import { KeyedLock } from "./keyed-lock.js";

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("KeyedLock", () => {
  it("runs work on one key one at a time, in order, and forgets the key when done", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (name: string) =>
      lock.run("pay_1", async () => {
        log.push(`${name} start`);
        await tick();
        log.push(`${name} end`);
        return name;
      });
    expect(await Promise.all([job("a"), job("b"), job("c")])).toEqual(["a", "b", "c"]);
    expect(log).toEqual(["a start", "a end", "b start", "b end", "c start", "c end"]);
    expect(lock.size).toBe(0);
  });

  it("runs work on different keys side by side", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const job = (key: string) =>
      lock.run(key, async () => {
        log.push(`${key} start`);
        await tick();
        log.push(`${key} end`);
      });
    await Promise.all([job("x"), job("y")]);
    expect(log.slice(0, 2)).toEqual(["x start", "y start"]);
  });

  it("goes on with the next work after one fails", async () => {
    const lock = new KeyedLock();
    const failed = lock.run("k", async () => {
      throw new Error("boom");
    });
    const next = lock.run("k", async () => "next");
    await expect(failed).rejects.toThrow("boom");
    expect(await next).toBe("next");
  });
});
