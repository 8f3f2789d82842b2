import { describe, expect, it } from "vitest";
import type { LoggedEvent } from "./event-log.js";
import { EventLogTail } from "./event-log-tail.js";

const PAID = "ecommerce.order.order.paid.v1";
const SHIPPED = "ecommerce.order.order.shipped.v1";

const logged = (seq: number, eventType = PAID): LoggedEvent => ({
  seq,
  eventId: `evt_${seq}`,
  eventType,
  producer: "order",
  correlationId: "chk_1",
  envelope: `{"seq":${seq}}`,
});
const seqs = (events: readonly LoggedEvent[] | undefined) => events?.map((event) => event.seq);

describe("the tail of the event log", () => {
  it("answers the events after a seq, of the types asked, in log order, up to the limit", () => {
    const tail = new EventLogTail(10);
    tail.add([logged(11), logged(12, SHIPPED), logged(14)]);
    tail.add([logged(15, SHIPPED)]);
    const types = [SHIPPED];
    for (const [afterSeq, want] of [
      [10, [12, 15]],
      [12, [15]],
      [15, []],
      [40, []],
    ] as const)
      expect(seqs(tail.read(afterSeq, types, 100))).toEqual(want);
    expect(seqs(tail.read(10, undefined, 3))).toEqual([11, 12, 14]);
    expect(seqs(tail.read(11, [PAID, SHIPPED], 2))).toEqual([12, 14]);
    expect(tail.get(14)?.envelope).toBe('{"seq":14}');
    expect(tail.get(13)).toBeUndefined();
  });

  it("answers nothing for a seq before what it holds: the log itself is read", () => {
    const tail = new EventLogTail(10);
    tail.add([logged(11)]);
    expect(tail.read(9, undefined, 100)).toBeUndefined();
    expect(seqs(tail.read(10, undefined, 100))).toEqual([11]);
  });

  it("keeps the newest events when it trims, and from then on sends reads of the older ones to the log", () => {
    const tail = new EventLogTail(0, 4);
    for (let seq = 1; seq <= 5; seq++) tail.add([logged(seq)]);
    expect(seqs(tail.read(0, undefined, 100))).toEqual([1, 2, 3, 4, 5]);
    tail.add([logged(6)]);
    expect(tail.from).toBe(2);
    expect(tail.read(1, undefined, 100)).toBeUndefined();
    expect(seqs(tail.read(2, undefined, 100))).toEqual([3, 4, 5, 6]);
    expect(tail.get(2)).toBeUndefined();
  });

  it("answers nothing from memory after an event out of order, rather than skip one", () => {
    const tail = new EventLogTail(0);
    tail.add([logged(1), logged(3)]);
    tail.add([logged(2)]);
    expect(tail.read(0, undefined, 100)).toBeUndefined();
    expect(tail.read(3, undefined, 100)).toBeUndefined();
  });
});
