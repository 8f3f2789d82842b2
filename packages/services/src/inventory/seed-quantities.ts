import type { Logger } from "../platform/index.js";

/**
 * Opening stock for the seeded book catalog. `ecommerce.catalog.product.created.v1` carries no quantity, so the
 * inventory context creates each level empty and then restocks it from the catalog's seed table
 * (`seedStockLevels()` of catalog/seed-stock.ts), looked up by the product's ISBN or id. That module is seed data
 * shipped beside the catalog, not the catalog's store; it is loaded lazily so inventory runs without it (every
 * level then starts at zero and stock arrives through adjustments).
 */

/** Copies to put on hand for a new product, by ISBN or product id; 0 when the seed data does not name it. */
export type SeedQuantities = (product: { readonly productId: string; readonly isbn: string }) => number;

// A variable, so the compiler and bundlers do not require the module to exist when this file is built.
const SEED_STOCK_MODULE = "../catalog/seed-stock.js";

/**
 * Load the catalog's seed table once. Tolerates the shapes a table like that takes: a Map or record keyed by ISBN
 * or product id, or a list of `{ isbn | productId, quantity | onHand }`, returned by `seedStockLevels()` (or its
 * promise). A missing module means no seed stock; any other failure is logged and also means none.
 */
export async function loadSeedQuantities(log: Logger): Promise<SeedQuantities> {
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ SEED_STOCK_MODULE)) as Record<string, unknown>;
  } catch (error) {
    const missing = String((error as { code?: unknown }).code ?? error).match(
      /MODULE_NOT_FOUND|Cannot find|Failed to load/,
    );
    if (!missing) log.warn("inventory could not load the catalog's seed stock", { error: String(error) });
    return () => 0;
  }
  const source = module.seedStockLevels;
  if (typeof source !== "function") {
    log.warn("catalog/seed-stock.js exports no seedStockLevels(); seeded products start with no stock");
    return () => 0;
  }
  return quantitiesFrom(await (source as () => unknown)(), log);
}

/** Turn a seed table of any of the accepted shapes into a lookup. Exported for its tests. */
export function quantitiesFrom(table: unknown, log?: Logger): SeedQuantities {
  const byKey = new Map<string, number>();
  const put = (key: unknown, quantity: unknown) => {
    if (typeof key === "string" && typeof quantity === "number" && Number.isInteger(quantity) && quantity >= 0) {
      byKey.set(key, quantity);
    }
  };
  if (table instanceof Map) {
    for (const [key, value] of table) put(key, typeof value === "number" ? value : quantityOf(value));
  } else if (Array.isArray(table)) {
    for (const entry of table) {
      if (typeof entry !== "object" || entry === null) continue;
      const record = entry as Record<string, unknown>;
      const quantity = quantityOf(record);
      put(record.isbn, quantity);
      put(record.productId, quantity);
    }
  } else if (typeof table === "object" && table !== null) {
    for (const [key, value] of Object.entries(table)) put(key, typeof value === "number" ? value : quantityOf(value));
  }
  if (byKey.size === 0) log?.warn("the catalog's seed stock table is empty or not in a known shape");
  return (product) => byKey.get(product.isbn) ?? byKey.get(product.productId) ?? 0;
}

function quantityOf(value: unknown): unknown {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  return record.quantity ?? record.onHand ?? record.stock;
}
