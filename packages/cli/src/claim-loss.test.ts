import { describe, expect, it } from "vitest";
import { createClaimLoss } from "./claim-loss.js";

/** A loss handler whose lines and exits are recorded, not written and taken. */
function recorded() {
  const lines: string[] = [];
  const exits: number[] = [];
  const steps: string[] = [];
  const loss = createClaimLoss({
    command: "ecom serve",
    contexts: ["order", "payment"],
    write: (line) => lines.push(line),
    exit: (code) => {
      exits.push(code);
      steps.push(`exit ${code}`);
    },
  });
  return { loss, lines, exits, steps };
}

describe("a lost claim", () => {
  it("exits 1 at once, in one line, when it comes before the platform is made (even before the claims are returned)", () => {
    const { loss, lines, exits } = recorded();
    loss.onLost(new Error("This process no longer holds the PostgreSQL locks of order, payment: its session ended"));
    expect(loss.lost).toBe(true);
    expect(lines).toEqual([
      "ecom serve: This process no longer holds the PostgreSQL locks of order, payment: its session ended; stopped " +
        "delivering to order, payment and exiting.\n",
    ]);
    expect(exits).toEqual([1]);
  });

  it("halts the platform (port, relays, subscriptions) and only then exits 1, releasing nothing itself", async () => {
    const { loss, steps } = recorded();
    let halted!: () => void;
    loss.serving({
      halt: () => {
        steps.push("halt");
        return new Promise<void>((resolve) => {
          halted = resolve;
        });
      },
    });
    loss.onLost(new Error("order is already served by process usurper"));
    // Still halting: the process, and the advisory locks' session with it, is still there.
    expect(steps).toEqual(["halt"]);
    halted();
    await new Promise((resolve) => setImmediate(resolve));
    expect(steps).toEqual(["halt", "exit 1"]);
  });

  it("exits 1 even when halting fails, and tells a second loss nothing more", async () => {
    const { loss, lines, exits } = recorded();
    loss.serving({ halt: () => Promise.reject(new Error("NATS is gone")) });
    loss.onLost(new Error("claims not refreshed for 15s"));
    loss.onLost(new Error("its session ended"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(exits).toEqual([1]);
    expect(lines).toHaveLength(1);
  });
});
