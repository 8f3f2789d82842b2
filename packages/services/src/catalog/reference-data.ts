import type { catalogApi } from "@ecom/sdk";
import { sql, type Transaction } from "kysely";
import { type ContextRuntime, decodeQueryCursor, fail, pageOf } from "../platform/index.js";
import { CategoryTree } from "./category-tree.js";
import { toAuthorView, toCategoryView, toPublisherView } from "./product-views.js";
import type { CatalogDatabase, CategoryTable } from "./store.js";

type Schemas = catalogApi.components["schemas"];

interface Page {
  readonly cursor?: string | undefined;
  readonly limit: number;
}

const isNamePosition = (value: Record<string, unknown>): value is { n: string; id: string } =>
  typeof value.n === "string" && typeof value.id === "string";
const isCategoryPosition = (value: Record<string, unknown>): value is { o: number; n: string; id: string } =>
  Number.isSafeInteger(value.o) && typeof value.n === "string" && typeof value.id === "string";

/** A LIKE pattern matching names that start with `prefix`, case-insensitively, with `%` and `_` taken literally. */
function startsWith(prefix: string): string {
  return `${prefix.toLowerCase().replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/**
 * The catalog's reference data: the category tree, authors and publishers. Categories are few and read on every
 * product RPC (for ancestor ids), so the tree is kept in memory and rebuilt after this context changes it; this
 * context is the only writer of its store, so nothing else can make it stale.
 */
export function createReferenceData(runtime: ContextRuntime<CatalogDatabase>) {
  const { db, clock, ids, outbox } = runtime;
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

  /**
   * Insert categories (parents before children) and publish category.created for each, in the caller's
   * transaction. Answers the stored rows.
   */
  async function insertCategories(
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
    tree = undefined;
    return rows;
  }

  return {
    categoryTree,
    insertCategories,

    /** Top-level categories, or the direct children of `parentId`, by display order then name. */
    async listCategories(parentId: string | undefined, page: Page) {
      let query = db.selectFrom("categories").selectAll();
      query = parentId === undefined ? query.where("parent_id", "is", null) : query.where("parent_id", "=", parentId);
      const after = decodeQueryCursor(page.cursor, { parentId }, isCategoryPosition);
      if (after) {
        query = query.where((eb) =>
          eb.or([
            eb("display_order", ">", after.o),
            eb.and([eb("display_order", "=", after.o), eb("name", ">", after.n)]),
            eb.and([eb("display_order", "=", after.o), eb("name", "=", after.n), eb("category_id", ">", after.id)]),
          ]),
        );
      }
      const rows = await query
        .orderBy("display_order")
        .orderBy("name")
        .orderBy("category_id")
        .limit(page.limit + 1)
        .execute();
      const result = pageOf(rows, {
        limit: page.limit,
        filters: { parentId },
        positionOf: (row) => ({ o: row.display_order, n: row.name, id: row.category_id }),
      });
      return { ...result, items: result.items.map(toCategoryView) };
    },

    async getCategory(categoryId: string) {
      const row = await db
        .selectFrom("categories")
        .selectAll()
        .where("category_id", "=", categoryId)
        .executeTakeFirst();
      if (!row) throw fail.notFound(`category ${categoryId}`);
      return toCategoryView(row);
    },

    /** Add a category under an existing parent (422 otherwise) with a slug unique among its siblings (409 otherwise). */
    createCategory(request: Schemas["CreateCategoryRequest"], correlationId: string) {
      return db.transaction().execute(async (trx) => {
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
        const [row] = await insertCategories(trx, [request], correlationId);
        return toCategoryView(row!);
      });
    },

    /** Authors by name, optionally only those whose name starts with `name` (case-insensitive). */
    async listAuthors(name: string | undefined, page: Page) {
      let query = db.selectFrom("authors").selectAll();
      if (name !== undefined) query = query.where(sql<boolean>`lower(name) like ${startsWith(name)} escape '\\'`);
      const after = decodeQueryCursor(page.cursor, { name }, isNamePosition);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb("name", ">", after.n), eb.and([eb("name", "=", after.n), eb("author_id", ">", after.id)])]),
        );
      }
      const rows = await query
        .orderBy("name")
        .orderBy("author_id")
        .limit(page.limit + 1)
        .execute();
      const result = pageOf(rows, {
        limit: page.limit,
        filters: { name },
        positionOf: (row) => ({ n: row.name, id: row.author_id }),
      });
      return { ...result, items: result.items.map(toAuthorView) };
    },

    async getAuthor(authorId: string) {
      const row = await db.selectFrom("authors").selectAll().where("author_id", "=", authorId).executeTakeFirst();
      if (!row) throw fail.notFound(`author ${authorId}`);
      return toAuthorView(row);
    },

    async createAuthor(request: Schemas["CreateAuthorRequest"]) {
      const now = clock.now().toISOString();
      const row = {
        author_id: ids.next("aut"),
        name: request.name,
        bio: request.bio ?? null,
        birth_date: request.birthDate ?? null,
        nationality: request.nationality ?? null,
        website: request.website ?? null,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto("authors").values(row).execute();
      return toAuthorView(row);
    },

    /** Publishers by name, optionally only those whose name starts with `name` (case-insensitive). */
    async listPublishers(name: string | undefined, page: Page) {
      let query = db.selectFrom("publishers").selectAll();
      if (name !== undefined) query = query.where(sql<boolean>`lower(name) like ${startsWith(name)} escape '\\'`);
      const after = decodeQueryCursor(page.cursor, { name }, isNamePosition);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb("name", ">", after.n), eb.and([eb("name", "=", after.n), eb("publisher_id", ">", after.id)])]),
        );
      }
      const rows = await query
        .orderBy("name")
        .orderBy("publisher_id")
        .limit(page.limit + 1)
        .execute();
      const result = pageOf(rows, {
        limit: page.limit,
        filters: { name },
        positionOf: (row) => ({ n: row.name, id: row.publisher_id }),
      });
      return { ...result, items: result.items.map(toPublisherView) };
    },

    async getPublisher(publisherId: string) {
      const row = await db
        .selectFrom("publishers")
        .selectAll()
        .where("publisher_id", "=", publisherId)
        .executeTakeFirst();
      if (!row) throw fail.notFound(`publisher ${publisherId}`);
      return toPublisherView(row);
    },

    /** Add a publisher; names are unique (409). */
    createPublisher(request: Schemas["CreatePublisherRequest"]) {
      return db.transaction().execute(async (trx) => {
        const clash = await trx
          .selectFrom("publishers")
          .select("publisher_id")
          .where("name", "=", request.name)
          .executeTakeFirst();
        if (clash) throw fail.conflict(`Publisher ${request.name} already exists as ${clash.publisher_id}.`);
        const now = clock.now().toISOString();
        const row = {
          publisher_id: ids.next("pub"),
          name: request.name,
          country: request.country ?? null,
          website: request.website ?? null,
          created_at: now,
          updated_at: now,
        };
        await trx.insertInto("publishers").values(row).execute();
        return toPublisherView(row);
      });
    },
  };
}

/** The reference-data operations of the catalog context. */
export type ReferenceData = ReturnType<typeof createReferenceData>;
