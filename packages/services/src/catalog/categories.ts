import type { catalogApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import type { ContextRuntime } from "../platform/index.js";
import { getCategory, listCategories } from "./category-reads.js";
import { CategoryTree } from "./category-tree.js";
import { checkNewCategory, insertCategoryRows } from "./category-writes.js";
import type { PageRequest } from "./product-reads.js";
import { toCategoryView } from "./product-views.js";
import type { CatalogDatabase, CategoryTable } from "./store.js";

type Schemas = catalogApi.components["schemas"];

/**
 * The catalog's category tree. Categories are few and read on every product RPC (for ancestor ids), so the tree is
 * kept in memory and rebuilt after this context changes it; this context is the only writer of its store, so nothing
 * else can make it stale.
 */
export function createCategories(runtime: ContextRuntime<CatalogDatabase>) {
  const { db } = runtime;
  let tree: Promise<CategoryTree> | undefined;

  const categoryTree = (): Promise<CategoryTree> => {
    tree ??= db
      .selectFrom("categories")
      .select(["category_id", "parent_id"])
      .execute()
      .then((rows) => new CategoryTree(rows.map((row) => ({ categoryId: row.category_id, parentId: row.parent_id }))))
      .catch((error: unknown) => {
        tree = undefined;
        throw error;
      });
    return tree;
  };

  /** {@link insertCategoryRows}, then forget the tree, so the next read rebuilds it with the new categories. */
  async function insertCategories(
    trx: Transaction<CatalogDatabase>,
    categories: readonly (Schemas["CreateCategoryRequest"] & { readonly categoryId?: string })[],
    correlationId: string,
  ): Promise<CategoryTable[]> {
    const rows = await insertCategoryRows(runtime, trx, categories, correlationId);
    if (rows.length > 0) tree = undefined;
    return rows;
  }

  return {
    categoryTree,
    insertCategories,
    /** Top-level categories, or the direct children of `parentId`, by display order then name. */
    listCategories: (parentId: string | undefined, page: PageRequest) => listCategories(db, parentId, page),
    getCategory: (categoryId: string) => getCategory(db, categoryId),

    /** Add a category under an existing parent (422 otherwise) with a slug unique among its siblings (409 otherwise). */
    createCategory(request: Schemas["CreateCategoryRequest"], correlationId: string) {
      return db.transaction().execute(async (trx) => {
        await checkNewCategory(trx, request);
        const [row] = await insertCategories(trx, [request], correlationId);
        return toCategoryView(row!);
      });
    },
  };
}
