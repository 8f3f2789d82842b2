import { describe, expect, it } from "vitest";
import {
  idHex,
  idText,
  isUlid,
  isUuid,
  keptId,
  keptTime,
  timeText,
  ulidBytes,
  ulidText,
  uuidBytes,
} from "./compact-ids.js";

describe("compact ids", () => {
  it("keeps a ULID in 16 bytes and gives the same text back", () => {
    for (const ulid of ["01JH8Z3Q4R5S6T7V8W9X0Y1Z31", "00000000000000000000000000", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"]) {
      expect(isUlid(ulid)).toBe(true);
      const bytes = ulidBytes(ulid);
      expect(bytes).toHaveLength(16);
      expect(ulidText(bytes)).toBe(ulid);
    }
    expect(ulidBytes("7ZZZZZZZZZZZZZZZZZZZZZZZZZ").equals(Buffer.alloc(16, 0xff))).toBe(true);
  });

  it("orders the bytes of ULIDs as their texts sort", () => {
    const texts = [
      "01JH8Z3Q4R5S6T7V8W9X0Y1Z31",
      "01JH8Z3Q4R5S6T7V8W9X0Y1Z32",
      "01JH8Z3Q4R5S6T7V8W9X0Y1Z4A",
      "01M96T5GGBZ3Q82PTNC98GRKZ4",
    ];
    const sorted = texts.map(ulidBytes).sort(Buffer.compare).map(ulidText);
    expect(sorted).toEqual(texts);
  });

  it("takes only texts that come back the same: no lower case, no I L O U, nothing past 128 bits", () => {
    for (const text of [
      "01jh8z3q4r5s6t7v8w9x0y1z31",
      "01JH8Z3Q4R5S6T7V8W9X0Y1ZO1",
      "01JH8Z3Q4R5S6T7V8W9X0Y1ZI1",
      "81JH8Z3Q4R5S6T7V8W9X0Y1Z31",
      "01JH8Z3Q4R5S6T7V8W9X0Y1Z3",
    ])
      expect(isUlid(text)).toBe(false);
    expect(isUuid("a867ca11-361c-47bd-85a7-f2ef04a52594")).toBe(true);
    expect(uuidBytes("a867ca11-361c-47bd-85a7-f2ef04a52594").toString("hex")).toBe("a867ca11361c47bd85a7f2ef04a52594");
    for (const text of ["A867CA11-361C-47BD-85A7-F2EF04A52594", "a867ca11361c47bd85a7f2ef04a52594", "key-1"])
      expect(isUuid(text)).toBe(false);
  });

  it("keeps a prefixed ULID id as its prefix and 16 bytes, and any other id as its text", () => {
    const kept = keptId("evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31");
    expect(Buffer.isBuffer(kept) && kept.length).toBe(19);
    expect(idText(kept)).toBe("evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31");
    expect(idText(keptId("checkout_01JH8Z3Q4R5S6T7V8W9X0Y1Z31"))).toBe("checkout_01JH8Z3Q4R5S6T7V8W9X0Y1Z31");
    for (const id of [
      "evt_1",
      "chk_01jh8z3q4r5s6t7v8w9x0y1z31",
      "my-correlation-id",
      "EVT_01JH8Z3Q4R5S6T7V8W9X0Y1Z31",
      "",
    ])
      expect(keptId(id)).toBe(id);
    expect(idText("my-correlation-id")).toBe("my-correlation-id");
  });

  it("gives a prefixed ULID id's 128 bits as a trace id's 32 hex digits, and nothing for any other id", () => {
    const id = "evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31";
    expect(idHex(id)).toBe(ulidBytes("01JH8Z3Q4R5S6T7V8W9X0Y1Z31").toString("hex"));
    expect(idHex(id)).toMatch(/^[0-9a-f]{32}$/);
    expect(idHex("ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z31")).toBe(idHex(id));
    for (const other of ["evt_1", "my-correlation-id", "evt_01jh8z3q4r5s6t7v8w9x0y1z31", ""])
      expect(idHex(other)).toBeUndefined();
  });
});

describe("compact times", () => {
  it("keeps a time as toISOString wrote it in 6 bytes that sort as the times do, and gives the same text back", () => {
    const times = [
      "1970-01-01T00:00:00.000Z",
      "2026-01-18T12:27:01.605Z",
      "2026-12-07T05:25:14.965Z",
      "9999-12-31T23:59:59.999Z",
    ];
    const kept = times.map(keptTime);
    for (const [index, value] of kept.entries()) {
      expect(Buffer.isBuffer(value) && value.length).toBe(6);
      expect(timeText(value)).toBe(times[index]);
    }
    const sorted = [...kept].sort((a, b) => Buffer.compare(a as Buffer, b as Buffer));
    expect(sorted.map(timeText)).toEqual(times);
  });

  it("keeps any other text as it is", () => {
    for (const text of [
      "2026-01-18T12:27:01Z",
      "2026-01-18T12:27:01.605+00:00",
      "soon",
      "",
      "+275760-09-13T00:00:00.000Z",
    ])
      expect(keptTime(text)).toBe(text);
    expect(timeText("2026-01-18T12:27:01Z")).toBe("2026-01-18T12:27:01Z");
  });
});
