import { fail } from "../platform/index.js";

/**
 * Opaque cursors for keyset pagination: the last item's sort key as base64url JSON. A cursor names a position, not
 * an offset, so items added while a client pages neither repeat nor go missing.
 */
export function encodeCursor(key: Readonly<Record<string, string | number>>): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Read a cursor made by {@link encodeCursor}; a cursor that is not one is a 400 on `/query/cursor`. */
export function decodeCursor<TKey extends Record<string, string | number>>(
  cursor: string,
  isKey: (value: Record<string, unknown>) => value is TKey,
): TKey {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (typeof value !== "object" || value === null || !isKey(value as Record<string, unknown>)) {
    throw fail.validation("/query/cursor", "is not a cursor this list gave out; start again without one");
  }
  return value as TKey;
}
