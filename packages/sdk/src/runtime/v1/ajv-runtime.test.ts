import type { FormatDefinition } from "ajv";
import { fullFormats as ajvFormats } from "ajv-formats/dist/formats.js";
import { describe, expect, it } from "vitest";
import { fullFormats, ucs2length } from "./ajv-runtime.js";

const validatorOf = (format: unknown) =>
  (format as FormatDefinition<string> & { validate: (text: string) => boolean }).validate;

/** A deterministic stream of numbers in [0, 1) (a linear congruential generator), so a failure reproduces. */
function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const cases = {
  date: [
    "2026-01-18",
    "2024-02-29",
    "2023-02-29",
    "2000-02-29",
    "1900-02-29",
    "2026-04-31",
    "2026-12-31",
    "2026-13-01",
    "2026-00-10",
    "2026-01-00",
    "2026-1-18",
    "2026/01/18",
    "２０２６-01-18",
    "2026-01-18T00:00:00Z",
    "",
  ],
  "date-time": [
    "2026-01-18T12:27:00Z",
    "2026-01-18T12:27:00.000Z",
    "2026-01-18T12:27:00.123456789Z",
    "2026-01-18t12:27:00z",
    "2026-01-18 12:27:00Z",
    "2026-01-18T12:27:00+01:00",
    "2026-01-18T12:27:00",
    "2026-01-18T24:00:00Z",
    "2026-01-18T23:60:00Z",
    "2016-12-31T23:59:60Z",
    "2026-01-18T12:59:60Z",
    "2026-01-18T12:27:00.Z",
    "2026-01-18T12:27:0.5Z",
    "2024-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z",
    "2026-01-18T12:27:00ZZ",
    "2026-01-18TT12:27:00Z",
    "",
  ],
} as const;

describe("the formats the generated validators check with", () => {
  for (const [name, samples] of Object.entries(cases)) {
    it(`${name}: answers every sample as ajv-formats does`, () => {
      const ours = validatorOf(fullFormats[name as keyof typeof cases]);
      const theirs = validatorOf(ajvFormats[name as keyof typeof cases]);
      for (const sample of samples) expect([sample, ours(sample)]).toEqual([sample, theirs(sample)]);
    });
  }

  it("answers 20,000 mutated timestamps and dates as ajv-formats does", () => {
    const random = seeded(15);
    const alphabet = "0123456789-:.TtZz +x";
    const mutate = (text: string) => {
      const chars = [...text];
      const edits = 1 + Math.floor(random() * 3);
      for (let edit = 0; edit < edits; edit++) {
        const at = Math.floor(random() * (chars.length + 1));
        const char = alphabet[Math.floor(random() * alphabet.length)]!;
        const kind = random();
        if (kind < 0.5) chars[at] = char;
        else if (kind < 0.75) chars.splice(at, 0, char);
        else chars.splice(at, 1);
      }
      return chars.join("");
    };
    for (let index = 0; index < 10_000; index++) {
      const instant = new Date(Math.floor(random() * 4_102_444_800_000)).toISOString();
      for (const [name, sample] of [
        ["date-time", mutate(instant)],
        ["date", mutate(instant.slice(0, 10))],
      ] as const) {
        const ours = validatorOf(fullFormats[name])(sample);
        expect([name, sample, ours]).toEqual([name, sample, validatorOf(ajvFormats[name])(sample)]);
      }
    }
  });

  it("keeps the other formats and the compare functions as they are", () => {
    expect(fullFormats.uri).toBe(ajvFormats.uri);
    expect((fullFormats["date-time"] as FormatDefinition<string>).compare).toBe(
      (ajvFormats["date-time"] as FormatDefinition<string>).compare,
    );
  });
});

describe("ucs2length", () => {
  it.each([
    ["", 0],
    ["plain ASCII", 11],
    ["Naïve — ✓", 9],
    ["😀", 1],
    ["a😀b😀", 4],
    ["\uD83D", 1],
    ["\uDE00", 1],
    ["\uD83Da", 2],
    ["a\uDE00\uD83D", 3],
    ["\uD83D\uD83D\uDE00", 2],
  ])("counts %j as %i code points", (text, length) => {
    expect(ucs2length(text)).toBe(length);
    expect(ucs2length(text)).toBe([...text].length);
  });
});
