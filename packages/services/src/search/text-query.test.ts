import { describe, expect, it } from "vitest";
import { MATCH_CLOSE, MATCH_OPEN, parseTextQuery, toHighlight } from "./text-query.js";

describe("parseTextQuery", () => {
  it.each([
    ["quotes every word and makes the last a prefix", "c programming", '"c" "programming"*', ["c", "programming"]],
    [
      "treats FTS5 operators and punctuation as text",
      'NEAR(a OR "b")',
      '"NEAR" "a" "OR" "b"*',
      ["NEAR", "a", "OR", "b"],
    ],
    ["keeps letters with diacritics", "Gödel, Escher", '"Gödel" "Escher"*', ["Gödel", "Escher"]],
  ])("%s", (_name, q, expression, words) => {
    expect(parseTextQuery(q)).toEqual({ kind: "match", expression, words });
  });

  it("reads an ISBN-13, with or without hyphens, as an exact lookup", () => {
    expect(parseTextQuery("978-0-13-110362-7")).toEqual({ kind: "isbn", isbn: "9780131103627" });
    expect(parseTextQuery("9780131103627")).toEqual({ kind: "isbn", isbn: "9780131103627" });
  });

  it("finds nothing searchable in punctuation alone", () => {
    expect(parseTextQuery("?!")).toEqual({ kind: "nothing" });
  });
});

describe("toHighlight", () => {
  it("wraps matches in <em> and escapes everything else", () => {
    expect(toHighlight(`The ${MATCH_OPEN}C${MATCH_CLOSE} <Programming> & "You"`)).toBe(
      "The <em>C</em> &lt;Programming&gt; &amp; &quot;You&quot;",
    );
  });

  it("gives nothing for a field without a match", () => {
    expect(toHighlight("The C Programming Language")).toBeUndefined();
    expect(toHighlight(null)).toBeUndefined();
  });
});
