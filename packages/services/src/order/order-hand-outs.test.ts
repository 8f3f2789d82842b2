import type { Selectable } from "kysely";
import { describe, expect, it } from "vitest";
import { OrderHandOuts } from "./order-hand-outs.js";
import type { OrdersTable } from "./store.js";

const order = { order_id: "ord_1", claimed_at: "2026-12-01T10:00:00.000Z" } as Selectable<OrdersTable>;

/** A wait that ends when `end` is called, reporting whether its caller was picked by then. */
function controlledWait() {
  let end!: () => void;
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  return {
    end: () => end(),
    wait: async (picked: () => boolean) => {
      await ended;
      return picked();
    },
  };
}

describe("POST /orders callers waiting for a saga's end", () => {
  it("hand the order to the first caller only, once the paying write is done", async () => {
    const handOuts = new OrderHandOuts();
    const first = controlledWait();
    const second = controlledWait();
    const firstWaits = handOuts.wait("chk_1", first.wait);
    const secondWaits = handOuts.wait("chk_1", second.wait);
    const handOut = handOuts.pick("chk_1");
    expect(handOuts.hasPicked("chk_1")).toBe(true);
    handOut?.(order);
    first.end();
    second.end();
    expect(await firstWaits).toEqual({ result: true, order, handedOut: false });
    // The second learns that the order went to the first: it reads the order instead of claiming it.
    expect(await secondWaits).toEqual({ result: false, order: undefined, handedOut: true });
    expect(handOuts.hasPicked("chk_1")).toBe(false);
  });

  it("pick nobody when no caller waits for that checkout, and each caller at most once", async () => {
    const handOuts = new OrderHandOuts();
    const only = controlledWait();
    const waits = handOuts.wait("chk_1", only.wait);
    expect(handOuts.pick("chk_2")).toBeUndefined();
    expect(handOuts.pick("chk_1")).toBeDefined();
    expect(handOuts.pick("chk_1")).toBeUndefined();
    only.end();
    // Picked, but the write that paid did not hand the order out (it rolled back): the caller reads it again.
    expect(await waits).toEqual({ result: true, order: undefined, handedOut: false });
  });
});
