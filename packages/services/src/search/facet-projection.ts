import { defineProjection } from "../platform/index.js";
import type { SearchDatabase } from "./store.js";

/**
 * The `facet` projection of contexts.yaml: the category tree as the catalog announced it, for facet labels and for
 * the category filter's sub-categories (each category with every ancestor, from the event's `ancestorIds`).
 */
export const facetProjection = defineProjection<SearchDatabase>({
  name: "facet",
  tables: ["search_categories", "search_category_paths"],
  handlers: {
    "ecommerce.catalog.category.created.v1": async (message, trx) => {
      const { categoryId, name, parentId, ancestorIds } = message.payload;
      await trx
        .insertInto("search_categories")
        .values({ category_id: categoryId, name, parent_id: parentId ?? null })
        .onConflict((conflict) => conflict.column("category_id").doNothing())
        .execute();
      const ancestors = [...new Set([...ancestorIds, ...(parentId ? [parentId] : [])])];
      if (ancestors.length === 0) return;
      await trx
        .insertInto("search_category_paths")
        .values(ancestors.map((ancestorId) => ({ category_id: categoryId, ancestor_id: ancestorId })))
        .onConflict((conflict) => conflict.columns(["ancestor_id", "category_id"]).doNothing())
        .execute();
    },
  },
});
