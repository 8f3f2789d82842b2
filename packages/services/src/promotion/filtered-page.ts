import { type CursorFilters, decodeQueryCursor, encodeCursor, type Page } from "../platform/index.js";

/** Where a page of an admin list ends: the last item's sort column (a time) and its id, which breaks ties. */
export type PagePosition = { readonly key: string; readonly id: string };

const isPagePosition = (value: Record<string, unknown>): value is PagePosition =>
  typeof value.key === "string" && typeof value.id === "string";

/** The page size asked for (the contract's default is 20). */
export const pageLimit = (limit: number | undefined): number => limit ?? 20;

/**
 * Fill one page from a keyset scan whose rows are filtered after reading (statuses derived from the clock): reads
 * batches after the `cursor` query parameter until `limit` rows are kept or the rows run out, and says where the
 * next page starts. `filters` are every query filter of the list, so a cursor sent back with others is a 400.
 */
export async function collectPage<TRow>(options: {
  readonly limit: number;
  readonly cursor: string | undefined;
  readonly filters: CursorFilters;
  readonly read: (after: PagePosition | undefined, count: number) => Promise<TRow[]>;
  readonly keep: (row: TRow) => boolean;
  readonly positionOf: (row: TRow) => PagePosition;
}): Promise<Page<TRow>> {
  const items: TRow[] = [];
  let after = decodeQueryCursor(options.cursor, options.filters, isPagePosition);
  const batch = Math.max(options.limit * 2, 50);
  for (;;) {
    const read = await options.read(after, batch);
    for (const row of read) {
      if (!options.keep(row)) continue;
      if (items.length === options.limit) {
        const nextCursor = encodeCursor(options.positionOf(items[items.length - 1]!), options.filters);
        return { items, page: { limit: options.limit, nextCursor } };
      }
      items.push(row);
    }
    if (read.length < batch) return { items, page: { limit: options.limit } };
    after = options.positionOf(read[read.length - 1]!);
  }
}

/**
 * Answer an admin list: one page of the rows `scan` keeps, from the query's page size and cursor, each shown by
 * `viewsOf` (given the whole page, so it can read what the rows need in one query).
 */
export async function listPage<TRow, TView>(
  query: { readonly limit?: number | undefined; readonly cursor?: string | undefined },
  scan: Omit<Parameters<typeof collectPage<TRow>>[0], "limit" | "cursor">,
  viewsOf: (rows: TRow[]) => TView[] | Promise<TView[]>,
) {
  const { items: rows, page } = await collectPage({ limit: pageLimit(query.limit), cursor: query.cursor, ...scan });
  return { status: 200 as const, body: { items: await viewsOf(rows), page } };
}
