import { describe, expect, it } from "vitest";
import { seedBooks } from "./books.js";
import { seedCategories } from "./categories.js";
import type { SeedBook, SeedCategory } from "./types.js";

// A fixed "today" rather than the wall clock, so the suite gives the same answer whatever day it runs.
const TODAY = "2026-11-25";

const LANGUAGES: ReadonlySet<string> = new Set(["en", "fr", "de", "es"]);
const FORMATS: ReadonlySet<string> = new Set(["hardcover", "paperback", "ebook", "audiobook"]);
// The contract's CategorySlug pattern (contracts/openapi/catalog.yaml).
const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** True when `isbn` is 13 digits with a 978/979 prefix and a correct ISBN-13 check digit (weights 1,3,1,3,…). */
function isValidIsbn13(isbn: string): boolean {
  if (!/^97[89]\d{10}$/.test(isbn)) return false;
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(isbn[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10 === Number(isbn[12]);
}

/** True when `date` is YYYY-MM-DD naming a day that exists (so 2023-02-29 is rejected). */
function isCalendarDate(date: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return false;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}

/** Group `items` by `keyOf`, in first-seen order (Map.groupBy needs Node 21, and the project supports Node 20). */
function groupBy<TItem>(items: Iterable<TItem>, keyOf: (item: TItem) => string): Map<string, TItem[]> {
  const groups = new Map<string, TItem[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

const categoriesBySlug = new Map(seedCategories.map((category) => [category.slug, category]));
const parentSlugs = new Set(seedCategories.map((category) => category.parentSlug).filter((slug) => slug !== null));
const isLeaf = (slug: string): boolean => categoriesBySlug.has(slug) && !parentSlugs.has(slug);

/** The slugs from `slug` up to its root, stopping (and reporting the cycle) if a slug repeats. */
function ancestry(slug: string): { path: string[]; cycle: boolean } {
  const path: string[] = [];
  let current: string | null = slug;
  while (current !== null) {
    if (path.includes(current)) return { path, cycle: true };
    path.push(current);
    current = categoriesBySlug.get(current)?.parentSlug ?? null;
  }
  return { path, cycle: false };
}

const isTechnical = (book: SeedBook): boolean => ancestry(book.category).path.includes("computing");
const label = (book: SeedBook): string => `${book.isbn} ${book.title} (${book.format})`;

/** Lower-case letters only, so "J. R. R. Tolkien" and "J.R.R. Tolkien" collide. */
const spellingKey = (name: string): string =>
  name
    .normalize("NFD")
    .replace(/[^\p{Letter}]/gu, "")
    .toLowerCase();

describe("isValidIsbn13, the check the seed relies on", () => {
  it.each([
    ["accepts the real ISBN of The C Programming Language", { given: "9780131103627", want: true }],
    ["accepts a real ISBN ending in check digit 0", { given: "9780140449150", want: true }],
    ["accepts a 979 prefix with a correct check digit", { given: "9798886450071", want: true }],
    ["rejects a wrong check digit", { given: "9780131103628", want: false }],
    ["rejects two transposed digits", { given: "9780131013627", want: false }],
    ["rejects hyphens", { given: "978-0-13-110362-7", want: false }],
    ["rejects an ISBN-10", { given: "0131103628", want: false }],
    ["rejects a 977 prefix even with a correct check digit", { given: "9770131103628", want: false }],
    ["rejects a letter in place of a digit", { given: "978013110362X", want: false }],
  ])("%s", (_name, { given, want }) => {
    expect(isValidIsbn13(given)).toBe(want);
  });
});

describe("isCalendarDate", () => {
  it.each([
    ["accepts an ordinary date", { given: "1988-03-22", want: true }],
    ["accepts 29 February in a leap year", { given: "2024-02-29", want: true }],
    ["rejects 29 February in a common year", { given: "2023-02-29", want: false }],
    ["rejects month 13", { given: "2020-13-01", want: false }],
    ["rejects a date without zero padding", { given: "2020-1-5", want: false }],
  ])("%s", (_name, { given, want }) => {
    expect(isCalendarDate(given)).toBe(want);
  });
});

describe("seedCategories", () => {
  it("has about eight top-level categories and 25 to 40 in all", () => {
    const topLevel = seedCategories.filter((category) => category.parentSlug === null);
    expect(topLevel.length).toBeGreaterThanOrEqual(6);
    expect(topLevel.length).toBeLessThanOrEqual(10);
    expect(seedCategories.length).toBeGreaterThanOrEqual(25);
    expect(seedCategories.length).toBeLessThanOrEqual(40);
  });

  it("has unique slugs", () => {
    const counts = groupBy(seedCategories, (category) => category.slug);
    expect([...counts].filter(([, group]) => group.length > 1).map(([slug]) => slug)).toEqual([]);
  });

  const categoryRules: ReadonlyArray<[string, (category: SeedCategory) => boolean]> = [
    ["slug matches the contract's CategorySlug pattern", (c) => SLUG.test(c.slug) && c.slug.length <= 100],
    [
      "name is 1 to 100 characters with no outer spaces",
      (c) => c.name.trim() === c.name && c.name.length >= 1 && c.name.length <= 100,
    ],
    ["description is 1 to 500 characters", (c) => c.description.trim().length >= 1 && c.description.length <= 500],
    ["displayOrder is a non-negative integer", (c) => Number.isInteger(c.displayOrder) && c.displayOrder >= 0],
    ["parent exists", (c) => c.parentSlug === null || categoriesBySlug.has(c.parentSlug)],
    ["is not its own ancestor", (c) => !ancestry(c.slug).cycle],
    ["is at most two levels deep", (c) => ancestry(c.slug).path.length <= 2],
  ];
  it.each(categoryRules)("every category: %s", (_rule, holds) => {
    expect(seedCategories.filter((category) => !holds(category)).map((category) => category.slug)).toEqual([]);
  });

  it("gives siblings distinct display orders", () => {
    const siblings = groupBy(seedCategories, (category) => category.parentSlug ?? "(top level)");
    const clashes = [...siblings].filter(
      ([, group]) => new Set(group.map((c) => c.displayOrder)).size !== group.length,
    );
    expect(clashes.map(([parent]) => parent)).toEqual([]);
  });

  it("lists every parent before its children, so the tree can be inserted in order", () => {
    const seen = new Set<string>();
    const early: string[] = [];
    for (const category of seedCategories) {
      if (category.parentSlug !== null && !seen.has(category.parentSlug)) early.push(category.slug);
      seen.add(category.slug);
    }
    expect(early).toEqual([]);
  });

  it("has at least one book under every category, directly on a leaf or below a parent", () => {
    const withBooks = new Set(seedBooks.flatMap((book) => ancestry(book.category).path));
    expect(seedCategories.filter((category) => !withBooks.has(category.slug)).map((c) => c.slug)).toEqual([]);
  });
});

describe("seedBooks", () => {
  it("has at least 200 books", () => {
    expect(seedBooks.length).toBeGreaterThanOrEqual(200);
  });

  it("never repeats an ISBN", () => {
    const byIsbn = groupBy(seedBooks, (book) => book.isbn);
    expect([...byIsbn].filter(([, group]) => group.length > 1).map(([isbn]) => isbn)).toEqual([]);
  });

  const bookRules: ReadonlyArray<[string, (book: SeedBook) => boolean]> = [
    ["ISBN-13 has a valid check digit", (b) => isValidIsbn13(b.isbn)],
    ["category exists", (b) => categoriesBySlug.has(b.category)],
    ["category is a leaf", (b) => isLeaf(b.category)],
    [
      "title is 1 to 255 characters with no outer spaces",
      (b) => b.title.trim() === b.title && b.title.length >= 1 && b.title.length <= 255,
    ],
    [
      "subtitle, when present, is 1 to 255 characters and differs from the title",
      (b) =>
        b.subtitle === undefined ||
        (b.subtitle.trim().length >= 1 && b.subtitle.length <= 255 && b.subtitle !== b.title),
    ],
    ["has at least one author", (b) => b.authors.length >= 1],
    ["author names are non-empty and trimmed", (b) => b.authors.every((a) => a.length > 0 && a.trim() === a)],
    ["no author is credited twice", (b) => new Set(b.authors).size === b.authors.length],
    ["publisher is non-empty and trimmed", (b) => b.publisher.length > 0 && b.publisher.trim() === b.publisher],
    ["publicationDate is a real YYYY-MM-DD date", (b) => isCalendarDate(b.publicationDate)],
    // ISO dates in one format compare correctly as strings.
    [`publicationDate is not after ${TODAY}`, (b) => b.publicationDate <= TODAY],
    ["language is one of en, fr, de, es", (b) => LANGUAGES.has(b.language)],
    [
      "pages is a positive integer no larger than the contract allows",
      (b) => Number.isInteger(b.pages) && b.pages >= 1 && b.pages <= 100_000,
    ],
    ["format is hardcover, paperback, ebook or audiobook", (b) => FORMATS.has(b.format)],
    ["stock is an integer from 0 to 250", (b) => Number.isInteger(b.stock) && b.stock >= 0 && b.stock <= 250],
    [
      "description is 1 to 400 characters and ends a sentence",
      (b) => b.description.length <= 400 && /^\S.*[.!?'"]$/.test(b.description),
    ],
  ];
  it.each(bookRules)("every book: %s", (_rule, holds) => {
    expect(seedBooks.filter((book) => !holds(book)).map(label)).toEqual([]);
  });

  // Technical books are priced as technical books whatever their format; everything else by format.
  const priceRanges: ReadonlyArray<[string, { select: (book: SeedBook) => boolean; min: number; max: number }]> = [
    ["technical books (under computing)", { select: isTechnical, min: 2999, max: 6999 }],
    ["other paperbacks", { select: (b) => !isTechnical(b) && b.format === "paperback", min: 899, max: 2499 }],
    ["other hardcovers", { select: (b) => !isTechnical(b) && b.format === "hardcover", min: 1999, max: 4999 }],
    ["other ebooks", { select: (b) => !isTechnical(b) && b.format === "ebook", min: 299, max: 1499 }],
    ["other audiobooks", { select: (b) => !isTechnical(b) && b.format === "audiobook", min: 999, max: 4499 }],
  ];
  it.each(priceRanges)("%s cost between their min and max whole cents", (_name, { select, min, max }) => {
    const selected = seedBooks.filter(select);
    expect(selected.length).toBeGreaterThan(0);
    const outOfRange = selected.filter(
      (b) => !Number.isInteger(b.priceMinor) || b.priceMinor < min || b.priceMinor > max,
    );
    expect(outOfRange.map((b) => `${label(b)}: ${b.priceMinor}`)).toEqual([]);
  });

  it.each([
    ["out of stock (0)", { min: 0, max: 0 }],
    ["low stock (1 to 4)", { min: 1, max: 4 }],
  ])("has at least five books %s so those paths have data", (_name, { min, max }) => {
    expect(seedBooks.filter((book) => book.stock >= min && book.stock <= max).length).toBeGreaterThanOrEqual(5);
  });

  it("offers every format and every language, mostly English", () => {
    expect(new Set(seedBooks.map((book) => book.format))).toEqual(FORMATS);
    expect(new Set(seedBooks.map((book) => book.language))).toEqual(LANGUAGES);
    const english = seedBooks.filter((book) => book.language === "en").length;
    expect(english / seedBooks.length).toBeGreaterThan(0.8);
  });

  // The catalog creates one author or publisher record per distinct name, so two spellings would make two records.
  it.each([
    ["author", (book: SeedBook) => book.authors],
    ["publisher", (book: SeedBook) => [book.publisher]],
  ])("spells each %s the same way everywhere", (_kind, names) => {
    const spellings = groupBy(new Set(seedBooks.flatMap(names)), spellingKey);
    expect([...spellings.values()].filter((group) => group.length > 1)).toEqual([]);
  });
});
