/** The descriptive fields of a product that a patch may change, as the store compares them. */
export interface DescriptiveFields {
  readonly title: string;
  readonly subtitle: string | null;
  readonly description: string;
  readonly authorIds: readonly string[];
  readonly publisherId: string;
  readonly publicationDate: string;
  readonly language: string;
  readonly pages: number;
  readonly categoryIds: readonly string[];
  readonly coverImageUrl: string | null;
}

/** A field product.updated may name as changed. */
export type ProductField =
  | "title"
  | "subtitle"
  | "description"
  | "authors"
  | "publisher"
  | "publicationDate"
  | "language"
  | "pages"
  | "categoryIds"
  | "coverImageUrl";

/** A merge-patch of descriptive fields (the contract's UpdateProductRequest). */
export type ProductPatch = Partial<{
  readonly title: string;
  readonly subtitle: string;
  readonly description: string;
  readonly authorIds: readonly string[];
  readonly publisherId: string;
  readonly publicationDate: string;
  readonly language: string;
  readonly pages: number;
  readonly categoryIds: readonly string[];
  readonly coverImageUrl: string;
}>;

const sameList = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((item, index) => item === b[index]);
const sameSet = (a: readonly string[], b: readonly string[]) => sameList([...a].sort(), [...b].sort());

/**
 * Apply a merge-patch and name the fields whose value changed. Authors keep their credit order, so reordering them
 * is a change; categories are a set, so reordering them is not.
 */
export function applyProductPatch(
  current: DescriptiveFields,
  patch: ProductPatch,
): { readonly next: DescriptiveFields; readonly changedFields: ProductField[] } {
  const next: DescriptiveFields = {
    title: patch.title ?? current.title,
    subtitle: patch.subtitle ?? current.subtitle,
    description: patch.description ?? current.description,
    authorIds: patch.authorIds ?? current.authorIds,
    publisherId: patch.publisherId ?? current.publisherId,
    publicationDate: patch.publicationDate ?? current.publicationDate,
    language: patch.language ?? current.language,
    pages: patch.pages ?? current.pages,
    categoryIds:
      patch.categoryIds && !sameSet(patch.categoryIds, current.categoryIds) ? patch.categoryIds : current.categoryIds,
    coverImageUrl: patch.coverImageUrl ?? current.coverImageUrl,
  };
  const changedFields: ProductField[] = [];
  const scalars = [
    "title",
    "subtitle",
    "description",
    "publicationDate",
    "language",
    "pages",
    "coverImageUrl",
  ] as const;
  for (const field of scalars) if (next[field] !== current[field]) changedFields.push(field);
  if (!sameList(next.authorIds, current.authorIds)) changedFields.push("authors");
  if (next.publisherId !== current.publisherId) changedFields.push("publisher");
  if (next.categoryIds !== current.categoryIds) changedFields.push("categoryIds");
  return { next, changedFields };
}
