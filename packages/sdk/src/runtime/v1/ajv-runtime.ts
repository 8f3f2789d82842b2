/**
 * The helpers ajv's standalone validators call, for the generated validators to import as ESM. ajv ships them as
 * CommonJS with `exports.default`, whose default import differs between Node and bundlers; these do the same work.
 */
// A named import of a CommonJS module: Node and bundlers agree on these, unlike on `default`.
import type { FormatDefinition } from "ajv";
import { fullFormats as ajvFormats } from "ajv-formats/dist/formats.js";

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number of the `length` ASCII digits at `start`, or -1 when one of them is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let index = start; index < start + length; index++) {
    const digit = text.charCodeAt(index) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Whether `text` holds a calendar date `YYYY-MM-DD` at `start` (ajv-formats' `date`, without its RegExp match). */
function dateAt(text: string, start: number): boolean {
  if (text.charCodeAt(start + 4) !== 45 || text.charCodeAt(start + 7) !== 45) return false;
  const year = digitsAt(text, start, 4);
  const month = digitsAt(text, start + 5, 2);
  const day = digitsAt(text, start + 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month]!);
}

/**
 * Whether `text` is a UTC instant as the platform writes them (`toISOString`: `2026-01-18T12:27:00.000Z`, the
 * fraction optional). Only ever true where ajv-formats' `date-time` is; the response check runs this on every
 * timestamp of a page, and the general check (split, two RegExp matches) cost a tenth of validating a product.
 */
function isCanonicalInstant(text: string): boolean {
  const end = text.length - 1;
  if (end < 19 || text.charCodeAt(10) !== 84 /* T */ || text.charCodeAt(end) !== 90 /* Z */) return false;
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return false;
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  if (end > 19) {
    // A fraction: a dot and at least one digit.
    if (text.charCodeAt(19) !== 46 || end === 20 || digitsAt(text, 20, end - 20) < 0) return false;
  }
  return dateAt(text, 0);
}

/**
 * ajv-formats' full formats, with `date` and `date-time` checked without RegExp matches where they can be: a
 * plain date by its digits (the same rule), an instant in the platform's own form by {@link isCanonicalInstant};
 * any other form goes to ajv-formats' own check, so what passes is exactly what passed before.
 */
export const fullFormats: typeof ajvFormats = {
  ...ajvFormats,
  date: faster(ajvFormats.date, (text) => text.length === 10 && dateAt(text, 0)),
  "date-time": faster(ajvFormats["date-time"], isCanonicalInstant),
};

/** ajv-formats' definition of a format with `quick` asked first: true is final, false goes to its own check. */
function faster(format: (typeof ajvFormats)["date"], quick: (text: string) => boolean): FormatDefinition<string> {
  // Both formats are defined with a compare function (formatMinimum and friends), which stays theirs.
  const { validate, compare } = format as FormatDefinition<string> & { validate: (text: string) => boolean };
  return { validate: (text) => quick(text) || validate(text), ...(compare ? { compare } : {}) };
}

/** A high surrogate: only where one is does a string have fewer code points than UTF-16 units. */
const HIGH_SURROGATE = /[\uD800-\uDBFF]/;

/**
 * The length of a string in Unicode code points, as JSON Schema's minLength/maxLength count it. Most strings have
 * no surrogate pair, and one native scan for a high surrogate says so (a quarter of counting them one by one);
 * validators call this twice for each bounded string of a response.
 */
export function ucs2length(text: string): number {
  if (!HIGH_SURROGATE.test(text)) return text.length;
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    length++;
    const code = text.charCodeAt(index);
    if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1);
      if ((next & 0xfc00) === 0xdc00) index++;
    }
  }
  return length;
}

/** Deep equality of JSON values, as `const`, `enum` and `uniqueItems` compare them. */
export function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null)
    return Number.isNaN(a) && Number.isNaN(b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, index) => equal(item, b[index]));
  const left = Object.keys(a);
  const right = Object.keys(b);
  return (
    left.length === right.length &&
    left.every(
      (key) => Object.hasOwn(b, key) && equal((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}
