import { fail } from "../platform/index.js";

/**
 * Opaque keyset cursors for the admin lists: the sort key and id of the last item of a page, as base64url JSON.
 * A position rather than an offset, so items created meanwhile neither repeat nor go missing.
 */
export interface PagePosition {
  /** The sort column's value of the last item shown (a time). */
  readonly key: string;
  /** Its id, breaking ties of `key`. */
  readonly id: string;
}

/** Encode the position after `last`. */
export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.key, position.id])).toString("base64url");
}

/** Decode a cursor from `?cursor=`; a cursor this server did not make is a 400. */
export function decodeCursor(cursor: string | undefined): PagePosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string")
      return { key: value[0], id: value[1] };
  } catch {
    // Falls through to the error below.
  }
  throw fail.validation("/query/cursor", "is not a cursor from this list; pass page.nextCursor of the previous page");
}

/** The page size asked for (the contract's default is 20). */
export const pageLimit = (limit: number | undefined): number => limit ?? 20;

/**
 * Fill one page from a keyset scan whose rows are filtered after reading (statuses derived from the clock):
 * reads batches after the cursor until `limit` rows are kept or the rows run out, and says where the next page
 * starts.
 */
export async function collectPage<TRow>(options: {
  readonly limit: number;
  readonly after: PagePosition | undefined;
  readonly read: (after: PagePosition | undefined, count: number) => Promise<TRow[]>;
  readonly keep: (row: TRow) => boolean;
  readonly positionOf: (row: TRow) => PagePosition;
}): Promise<{ rows: TRow[]; nextCursor: string | undefined }> {
  const rows: TRow[] = [];
  let after = options.after;
  const batch = Math.max(options.limit * 2, 50);
  for (;;) {
    const read = await options.read(after, batch);
    for (const row of read) {
      if (!options.keep(row)) continue;
      if (rows.length === options.limit) {
        return { rows, nextCursor: encodeCursor(options.positionOf(rows[rows.length - 1]!)) };
      }
      rows.push(row);
    }
    if (read.length < batch) return { rows, nextCursor: undefined };
    after = options.positionOf(read[read.length - 1]!);
  }
}
