import { createHash } from "node:crypto";
import { fail } from "./service-error.js";

/**
 * Keyset pagination cursors, the same for every context: an opaque base64url JSON of the last item's sort key plus a
 * short digest of the list's filters. A cursor names a position, not an offset, so items added while a client pages
 * neither repeat nor go missing; the digest makes a cursor sent back with other filters fail loudly instead of
 * silently skipping into another list. Each context keeps its own sort keys and SQL; only the encoding lives here.
 */

/**
 * A list's position: the last item's sort key, as short keys (`{ id }`, `{ n, id }`). The key `f` is the cursor's
 * own (the filters' digest), so a position may not use it.
 */
export type CursorPosition = Readonly<Record<string, string | number>> & { readonly f?: never };

/** The filters a list was asked with; a cursor is good only for the same ones. Absent and undefined are alike. */
export type CursorFilters = Readonly<Record<string, unknown>>;

/** Says whether a decoded cursor's fields are the position a list expects (its keys and their types). */
export type PositionGuard<TPosition extends CursorPosition> = (value: Record<string, unknown>) => value is TPosition;

/** The message of a refused `cursor` parameter; it says what to do. */
const NOT_OUR_CURSOR = "is not a cursor of this list with these filters; start again without one";

/**
 * Digests of the filters lists were asked with, by their canonical text: pages are asked with a few filter sets
 * over and over, and a SHA-256 each cost more than the rest of the cursor. Bounded: cleared when full.
 */
const digests = new Map<string, string>();
const DIGESTS_KEPT = 1_000;

/** A short digest of a list's filters, the same whatever order their keys come in. */
function fingerprint(filters: CursorFilters): string {
  // Undefined and null filters are left out, so `{ status: undefined }` and `{}` (the same list) agree.
  const canonical = JSON.stringify(
    Object.keys(filters)
      .filter((key) => filters[key] !== undefined && filters[key] !== null)
      .sort()
      .map((key) => [key, filters[key]]),
  );
  let digest = digests.get(canonical);
  if (digest === undefined) {
    digest = createHash("sha256").update(canonical).digest("base64url").slice(0, 8);
    if (digests.size >= DIGESTS_KEPT) digests.clear();
    digests.set(canonical, digest);
  }
  return digest;
}

/** An opaque cursor holding `position` and the digest of `filters`, for `page.nextCursor` or a page token. */
export function encodeCursor(position: CursorPosition, filters: CursorFilters): string {
  return Buffer.from(JSON.stringify({ ...position, f: fingerprint(filters) })).toString("base64url");
}

/**
 * The position in a cursor from {@link encodeCursor}, or undefined when the text is not such a cursor, was made for
 * other filters, or holds another shape of position. Layer-neutral: the caller answers undefined as its own
 * invalid-argument error (RPC); REST handlers use {@link decodeQueryCursor}.
 */
export function decodeCursor<TPosition extends CursorPosition>(
  cursor: string,
  filters: CursorFilters,
  isPosition: PositionGuard<TPosition>,
): TPosition | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const { f: digest, ...position } = value as Record<string, unknown>;
  if (digest !== fingerprint(filters) || !isPosition(position)) return undefined;
  return position;
}

/**
 * The position in a REST list's `cursor` query parameter, or undefined without one (the first page). A cursor this
 * list did not give out for these filters is a ServiceError `validation` (400) on `/query/cursor`.
 */
export function decodeQueryCursor<TPosition extends CursorPosition>(
  cursor: string | undefined,
  filters: CursorFilters,
  isPosition: PositionGuard<TPosition>,
): TPosition | undefined {
  if (cursor === undefined) return undefined;
  const position = decodeCursor(cursor, filters, isPosition);
  if (position === undefined) throw fail.validation("/query/cursor", NOT_OUR_CURSOR);
  return position;
}

/** One page of a list: its items and the contract's `PageInfo` (`nextCursor` only when more items follow). */
export interface Page<TItem> {
  readonly items: TItem[];
  readonly page: { readonly limit: number; readonly nextCursor?: string };
}

/**
 * The page in `rows` read with `LIMIT limit + 1`: the first `limit` rows, and a cursor after the last of them when
 * the extra row shows that more follow.
 */
export function pageOf<TRow>(
  rows: readonly TRow[],
  options: {
    readonly limit: number;
    readonly filters: CursorFilters;
    readonly positionOf: (row: TRow) => CursorPosition;
  },
): Page<TRow> {
  const items = rows.slice(0, options.limit);
  const last = items.at(-1);
  const more = rows.length > options.limit && last !== undefined;
  return {
    items,
    page: {
      limit: options.limit,
      ...(more ? { nextCursor: encodeCursor(options.positionOf(last), options.filters) } : {}),
    },
  };
}
