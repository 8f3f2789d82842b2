import { describe, expect, it } from "vitest";
import { type FaultSwitches, noFaults } from "../platform/index.js";
import type { CardOutcome } from "./cards.js";
import {
  AUTHORIZATION_MEMORY,
  createSimulatedProcessor,
  isProcessorError,
  PROCESSOR_MEMORY,
  type ProcessorAnswer,
} from "./processor.js";

/** A simulated processor on a platform clock the test moves on with `advance` (milliseconds). */
function withClock() {
  let now = Date.parse("2026-01-01T00:00:00.000Z");
  let draw = 0;
  const processor = createSimulatedProcessor({
    faults: noFaults(),
    clock: { now: () => new Date(now) },
    random: () => (draw++ % 16) / 16,
  });
  return {
    processor,
    advance: (milliseconds: number) => {
      now += milliseconds;
    },
  };
}

function simulated(faults: Partial<FaultSwitches> = {}, now = "2026-01-01T00:00:00.000Z") {
  const switches: FaultSwitches = { ...noFaults(), ...faults };
  let draw = 0;
  const waits: number[] = [];
  return {
    switches,
    waits,
    processor: createSimulatedProcessor({
      faults: switches,
      clock: { now: () => new Date(now) },
      random: () => (draw++ % 16) / 16,
      // Counted, not timed: no test here reads the wall clock.
      sleep: async (milliseconds) => {
        waits.push(milliseconds);
      },
    }),
  };
}

const request = (outcome: CardOutcome, reference = "chg_1", expYear = 2030) => ({
  reference,
  paymentId: "pay_1",
  amount: { amount: 8778, currency: "USD" },
  card: { brand: "visa" as const, last4: "4242", expMonth: 12, expYear, outcome },
});

describe("the simulated processor", () => {
  const cases: [string, { given: CardOutcome; head?: number; want: Partial<ProcessorAnswer> | "processor_error" }][] = [
    ["approves an ordinary card", { given: "approve", want: { status: "succeeded" } }],
    [
      "declines the declining test card",
      { given: "card_declined", want: { status: "declined", code: "card_declined" } },
    ],
    [
      "declines the test card without funds",
      { given: "insufficient_funds", want: { status: "declined", code: "insufficient_funds" } },
    ],
    [
      "declines a card that expired since it was tokenized",
      { given: "approve", head: 2025, want: { status: "declined", code: "expired_card" } },
    ],
    [
      "fails with its own error for the processor-error test card",
      { given: "processor_error", want: "processor_error" },
    ],
  ];
  it.each(cases)("%s", async (_name, { given, head, want }) => {
    const { processor } = simulated();
    const answer = await processor.authorize(request(given, "chg_1", head)).catch((error: unknown) => error);
    if (want === "processor_error") {
      expect(isProcessorError(answer) && answer.code).toBe("processor_error");
    } else {
      expect(answer).toMatchObject(want);
      expect((answer as ProcessorAnswer).processorReference).toMatch(/^ch_sim_[0-9a-f]{12}$/);
    }
  });

  it("answers a reference it has answered before with the same answer, as a processor's idempotency keys do", async () => {
    const { processor } = simulated();
    const first = await processor.authorize(request("approve", "chg_same"));
    const again = await processor.authorize(request("approve", "chg_same"));
    const other = await processor.authorize(request("approve", "chg_other"));
    expect(again).toEqual(first);
    expect(other.processorReference).not.toBe(first.processorReference);
  });

  it("forgets an answer after 24 hours of platform time, and keeps at most so many answers", async () => {
    const { processor, advance } = withClock();
    const first = await processor.authorize(request("approve", "chg_old"));
    advance(PROCESSOR_MEMORY.windowMs - 1);
    expect(await processor.authorize(request("approve", "chg_old"))).toEqual(first);
    advance(1);
    expect((await processor.authorize(request("approve", "chg_old"))).processorReference).not.toBe(
      first.processorReference,
    );

    const oldest = await processor.authorize(request("approve", "chg_0"));
    for (let index = 1; index <= PROCESSOR_MEMORY.answers; index++)
      await processor.authorize(request("approve", `chg_${index}`));
    expect((await processor.authorize(request("approve", "chg_0"))).processorReference).not.toBe(
      oldest.processorReference,
    );
  });

  it("refuses to void an authorization it captured, naming the capture, so a caller that lost the capture's answer learns the money was taken", async () => {
    const { processor } = simulated();
    const captured = await processor.capture({ ...request("approve", "chg_capture"), authorization: "ch_sim_1" });
    const voided = await processor.void({ ...request("approve", "chg_void"), authorization: "ch_sim_1" });
    expect(captured.status).toBe("succeeded");
    expect(voided).toEqual({
      status: "declined",
      code: "authorization_captured",
      processorReference: captured.processorReference,
      captured: { amount: 8778, currency: "USD" },
    });
    // Another authorization is not touched by it.
    expect(await processor.void({ ...request("approve", "chg_void_2"), authorization: "ch_sim_2" })).toMatchObject({
      status: "succeeded",
    });
  });

  it("refuses to capture an authorization it voided, or to capture one twice, and answers a retry as it first did", async () => {
    const { processor } = simulated();
    const voided = await processor.void({ ...request("approve", "chg_void"), authorization: "ch_sim_1" });
    expect(await processor.capture({ ...request("approve", "chg_capture"), authorization: "ch_sim_1" })).toEqual({
      status: "declined",
      code: "authorization_voided",
      processorReference: voided.processorReference,
    });
    // A second void, under another reference, releases nothing more: answered as the first.
    expect(await processor.void({ ...request("approve", "chg_void_2"), authorization: "ch_sim_1" })).toEqual(voided);

    // A part of the hold captured: a second capture, asking for all of it, is refused naming what the first took.
    const part = { ...request("approve", "chg_capture_2"), amount: { amount: 5000, currency: "USD" } };
    const captured = await processor.capture({ ...part, authorization: "ch_sim_2" });
    expect(await processor.capture({ ...request("approve", "chg_capture_3"), authorization: "ch_sim_2" })).toEqual({
      status: "declined",
      code: "authorization_captured",
      processorReference: captured.processorReference,
      captured: { amount: 5000, currency: "USD" },
    });
    // The capture's own retry is answered from the processor's memory of it, not refused.
    expect(await processor.capture({ ...part, authorization: "ch_sim_2" })).toEqual(captured);
  });

  it("remembers what became of an authorization for as long as its hold and a day more, then forgets it", async () => {
    const { processor, advance } = withClock();
    await processor.capture({ ...request("approve", "chg_capture"), authorization: "ch_sim_1" });
    advance(AUTHORIZATION_MEMORY.windowMs - 1);
    expect(await processor.void({ ...request("approve", "chg_void"), authorization: "ch_sim_1" })).toMatchObject({
      code: "authorization_captured",
    });
    advance(1);
    expect(await processor.void({ ...request("approve", "chg_void_2"), authorization: "ch_sim_1" })).toMatchObject({
      status: "succeeded",
    });
  });

  it("answers nothing while the outage switch is on, and answers again once it is off", async () => {
    const { processor, switches } = simulated({ paymentProcessorDown: true });
    const refused = await processor
      .capture({ ...request("approve"), authorization: "ch_sim_1" })
      .catch((error: unknown) => error);
    expect(isProcessorError(refused) && refused.code).toBe("processor_unavailable");
    switches.paymentProcessorDown = false;
    expect(await processor.capture({ ...request("approve"), authorization: "ch_sim_1" })).toMatchObject({
      status: "succeeded",
    });
  });

  it("waits out the injected latency before it answers", async () => {
    const { processor, waits } = simulated({ paymentProcessorLatencyMs: 40 });
    await processor.refund({ ...request("approve"), capture: "cp_sim_1" });
    expect(waits).toEqual([40]);
  });
});
