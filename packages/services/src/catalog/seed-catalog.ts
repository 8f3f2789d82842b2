import type { ContextRuntime } from "../platform/index.js";
import { seedBooks, seedCategories } from "../seed-data/index.js";
import type { NewProduct } from "./product-writes.js";
import type { Products } from "./products.js";
import type { ReferenceData } from "./reference-data.js";
import type { AuthorTable, CatalogDatabase, PublisherTable } from "./store.js";

/**
 * Who set the seeded products' opening prices. The contract requires a customer id in `changedBy`, and no admin has
 * acted on a fresh store (the customer context owns the admin's id), so the seed names this reserved id, the
 * smallest valid one, which no real customer can get (real ids start with the clock's time).
 */
export const SEED_ACTOR_ID = "cus_00000000000000000000000000";

/** The correlation id of every event the seed publishes. */
const SEED_CORRELATION = "seed";

/** Rows per multi-row INSERT. */
const INSERT_CHUNK = 500;

/**
 * Load the seed catalog into an empty store: the category tree, the authors and publishers the books name, and
 * every book as an ACTIVE product with its opening price. One transaction of multi-row inserts, and every category
 * and product publishes its created event like any other (inventory makes stock levels from product.created).
 * Does nothing when the store has any product or category.
 */
export async function seedCatalog(
  runtime: ContextRuntime<CatalogDatabase>,
  products: Products,
  reference: ReferenceData,
): Promise<void> {
  const { db, clock, ids } = runtime;
  const [anyProduct, anyCategory] = await Promise.all([
    db.selectFrom("products").select("product_id").limit(1).executeTakeFirst(),
    db.selectFrom("categories").select("category_id").limit(1).executeTakeFirst(),
  ]);
  if (anyProduct || anyCategory) return;

  await db.transaction().execute(async (trx) => {
    const categoryIds = new Map<string, string>();
    for (const category of seedCategories) categoryIds.set(category.slug, ids.next("cat"));
    await reference.insertCategories(
      trx,
      seedCategories.map((category) => ({
        categoryId: categoryIds.get(category.slug)!,
        name: category.name,
        slug: category.slug,
        ...(category.parentSlug === null ? {} : { parentId: categoryIds.get(category.parentSlug)! }),
        description: category.description,
        displayOrder: category.displayOrder,
      })),
      SEED_CORRELATION,
    );

    const now = clock.now().toISOString();
    const authors = new Map<string, AuthorTable>();
    const publishers = new Map<string, PublisherTable>();
    for (const book of seedBooks) {
      for (const name of book.authors) {
        if (!authors.has(name)) {
          authors.set(name, {
            author_id: ids.next("aut"),
            name,
            bio: null,
            birth_date: null,
            nationality: null,
            website: null,
            created_at: now,
            updated_at: now,
          });
        }
      }
      if (!publishers.has(book.publisher)) {
        publishers.set(book.publisher, {
          publisher_id: ids.next("pub"),
          name: book.publisher,
          country: null,
          website: null,
          created_at: now,
          updated_at: now,
        });
      }
    }
    const authorRows = [...authors.values()];
    for (let start = 0; start < authorRows.length; start += INSERT_CHUNK) {
      await trx
        .insertInto("authors")
        .values(authorRows.slice(start, start + INSERT_CHUNK))
        .execute();
    }
    await trx
      .insertInto("publishers")
      .values([...publishers.values()])
      .execute();

    const newProducts: NewProduct[] = seedBooks.map((book) => {
      const categoryId = categoryIds.get(book.category);
      if (!categoryId)
        throw new Error(`seed book ${book.isbn} names category ${book.category}, which the seed tree lacks`);
      const publisher = publishers.get(book.publisher)!;
      return {
        isbn: book.isbn,
        title: book.title,
        subtitle: book.subtitle,
        description: book.description,
        authors: book.authors.map((name) => ({ authorId: authors.get(name)!.author_id, name })),
        publisher: { publisherId: publisher.publisher_id, name: publisher.name },
        publicationDate: book.publicationDate,
        language: book.language,
        pages: book.pages,
        format: book.format,
        categoryIds: [categoryId],
        price: { amount: book.priceMinor, currency: "USD" },
      };
    });
    await products.insertProducts(trx, newProducts, { customerId: SEED_ACTOR_ID, correlationId: SEED_CORRELATION });
  });
}
