/**
 * From the free text of `q` to an FTS5 query, and from FTS5's marked-up fragments to the contract's highlights.
 * Kept apart from SQL so the rules are tested on their own.
 */

/**
 * What `q` asks for: an exact ISBN, words to match (as an FTS5 expression, and the words themselves for PostgreSQL's
 * form, see full-text.ts), or nothing searchable (no letters or digits).
 */
export type TextQuery =
  | { readonly kind: "isbn"; readonly isbn: string }
  | { readonly kind: "match"; readonly expression: string; readonly words: readonly string[] }
  | { readonly kind: "nothing" };

/**
 * Every word of `q` must match (FTS5's implicit AND); the last one also as a prefix, so a query typed so far
 * ("algori") finds its book. Words are quoted, so FTS5 operators and punctuation in `q` are plain text. An ISBN-13
 * (hyphens allowed) is an exact lookup instead.
 */
export function parseTextQuery(q: string): TextQuery {
  const compact = q.trim().replaceAll("-", "");
  if (/^97[89]\d{10}$/.test(compact)) return { kind: "isbn", isbn: compact };
  const words = q.normalize("NFKC").match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return { kind: "nothing" };
  const terms = words.map((word, index) => `"${word}"${index === words.length - 1 ? "*" : ""}`);
  return { kind: "match", expression: terms.join(" "), words };
}

/** The markers FTS5 wraps matches in: control characters that never occur in catalog text. */
export const MATCH_OPEN = "\u0002";
export const MATCH_CLOSE = "\u0003";

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * A fragment FTS5 marked with {@link MATCH_OPEN}/{@link MATCH_CLOSE} as the contract's highlight: HTML-escaped, with
 * each match in `<em>`; undefined when nothing in it matched.
 */
export function toHighlight(marked: string | null | undefined): string | undefined {
  if (!marked?.includes(MATCH_OPEN)) return undefined;
  return marked
    .replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]!)
    .replaceAll(MATCH_OPEN, "<em>")
    .replaceAll(MATCH_CLOSE, "</em>");
}
