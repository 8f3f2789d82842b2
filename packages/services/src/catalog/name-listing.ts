/** The cursor position of a list ordered by name, then id (authors, publishers). */
export const isNamePosition = (value: Record<string, unknown>): value is { n: string; id: string } =>
  typeof value.n === "string" && typeof value.id === "string";

/** A LIKE pattern matching names that start with `prefix`, case-insensitively, with `%` and `_` taken literally. */
export function startsWith(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}
