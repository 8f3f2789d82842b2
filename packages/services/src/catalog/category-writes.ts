import type { catalogApi } from "@ecom/sdk";
import type { Transaction } from "kysely";
import { type ContextRuntime, fail } from "../platform/index.js";
import { CategoryTree } from "./category-tree.js";
import type { CatalogDatabase, CategoryTable } from "./store.js";

type Schemas = catalogApi.components["schemas"];

/**
 * Insert categories (parents before children) and publish category.created for each, in the caller's
 * transaction. Answers the stored rows.
 */
export async function insertCategoryRows(
  { clock, ids, outbox }: ContextRuntime<CatalogDatabase>,
  trx: Transaction<CatalogDatabase>,
  categories: readonly (Schemas["CreateCategoryRequest"] & { readonly categoryId?: string })[],
  correlationId: string,
): Promise<CategoryTable[]> {
  const now = clock.now().toISOString();
  const known = await trx.selectFrom("categories").select(["category_id", "parent_id"]).execute();
  const nodes = known.map((row) => ({ categoryId: row.category_id, parentId: row.parent_id }));
  const rows: CategoryTable[] = [];
  for (const category of categories) {
    const row: CategoryTable = {
      category_id: category.categoryId ?? ids.next("cat"),
      name: category.name,
      slug: category.slug,
      parent_id: category.parentId ?? null,
      description: category.description ?? null,
      display_order: category.displayOrder ?? 0,
      created_at: now,
      updated_at: now,
    };
    nodes.push({ categoryId: row.category_id, parentId: row.parent_id });
    rows.push(row);
  }
  if (rows.length === 0) return rows;
  await trx.insertInto("categories").values(rows).execute();
  const withNew = new CategoryTree(nodes);
  for (const row of rows) {
    await outbox.publish(
      trx,
      "ecommerce.catalog.category.created.v1",
      {
        categoryId: row.category_id,
        name: row.name,
        slug: row.slug,
        ...(row.parent_id === null ? {} : { parentId: row.parent_id }),
        ancestorIds: withNew.ancestorsOf(row.category_id),
        displayOrder: row.display_order,
        createdAt: row.created_at,
      },
      { partitionKey: row.category_id, correlationId },
    );
  }
  return rows;
}

/** Check that a new category's parent exists (422 otherwise) and its slug is free among its siblings (409 otherwise). */
export async function checkNewCategory(
  trx: Transaction<CatalogDatabase>,
  request: Schemas["CreateCategoryRequest"],
): Promise<void> {
  if (request.parentId !== undefined) {
    const parent = await trx
      .selectFrom("categories")
      .select("category_id")
      .where("category_id", "=", request.parentId)
      .executeTakeFirst();
    if (!parent) throw fail.unprocessable(`No parent category ${request.parentId}.`);
  }
  let siblings = trx.selectFrom("categories").select("category_id").where("slug", "=", request.slug);
  siblings =
    request.parentId === undefined
      ? siblings.where("parent_id", "is", null)
      : siblings.where("parent_id", "=", request.parentId);
  const clash = await siblings.executeTakeFirst();
  if (clash) throw fail.conflict(`Slug ${request.slug} is taken by its sibling category ${clash.category_id}.`);
}
