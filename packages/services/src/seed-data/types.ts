/** The form an edition is sold in; each format of a title is its own product with its own ISBN. */
export type SeedBookFormat = "hardcover" | "paperback" | "ebook" | "audiobook";

/** The ISO 639-1 codes of the languages the seed catalog is written in. */
export type SeedLanguage = "en" | "fr" | "de" | "es";

/** One edition in the seed catalog the simulator loads on first start. */
export interface SeedBook {
  /** ISBN-13 without hyphens: 13 digits, prefix 978 or 979, valid check digit, unique across the seed. */
  readonly isbn: string;
  /** Title as printed on the cover, without the subtitle. */
  readonly title: string;
  /** Subtitle, present only when the edition has one. */
  readonly subtitle?: string;
  /** Credited names in cover order: authors, and for picture books the illustrator. */
  readonly authors: readonly string[];
  /** Publisher or imprint of this edition. */
  readonly publisher: string;
  /** Publication date of this edition, as YYYY-MM-DD. */
  readonly publicationDate: string;
  /** Language of the text of this edition (a translation is in the language it was translated into). */
  readonly language: SeedLanguage;
  /** Printed page count; for an audiobook, that of the print edition. */
  readonly pages: number;
  /** Format of this edition. */
  readonly format: SeedBookFormat;
  /** Slug of the leaf category (in seedCategories) the book is filed under. */
  readonly category: string;
  /** List price in US cents. */
  readonly priceMinor: number;
  /** Units on hand at first start, an integer from 0 to 250. */
  readonly stock: number;
  /** One or two sentences for listings and search results. */
  readonly description: string;
}

/** One node of the seed category tree. */
export interface SeedCategory {
  /** URL-friendly identifier, unique across the whole tree; books and children refer to a category by it. */
  readonly slug: string;
  /** Display name. */
  readonly name: string;
  /** Slug of the parent category, or null for a top-level category. */
  readonly parentSlug: string | null;
  /** One sentence shown on the category page. */
  readonly description: string;
  /** Position among siblings in navigation, lower first. */
  readonly displayOrder: number;
}
