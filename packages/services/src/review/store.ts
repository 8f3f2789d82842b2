/**
 * The review context's own store: reviews and flags are its facts; `review_purchases` and `rating_aggregates` are
 * read models built from events (order events; its own published/rejected events), which `ecom replay` rebuilds.
 */
export interface ReviewDatabase {
  reviews: ReviewTable;
  review_flags: ReviewFlagTable;
  review_purchases: ReviewPurchaseTable;
  rating_aggregates: RatingAggregateTable;
}

/** The contract's ReviewStatus. */
export type ReviewStatus = "PENDING" | "PUBLISHED" | "REJECTED";
/** The contract's RejectionReason. */
export type RejectionReason =
  | "spam"
  | "offensive"
  | "off_topic"
  | "personal_information"
  | "not_about_product"
  | "fake";

/** A review and its moderation state. */
export interface ReviewTable {
  review_id: string;
  product_id: string;
  customer_id: string;
  rating: number;
  title: string;
  body: string;
  status: ReviewStatus;
  flag_count: number;
  decision: "approve" | "reject" | null;
  reason: RejectionReason | null;
  note: string | null;
  moderated_by: string | null;
  moderated_at: string | null;
  created_at: string;
  updated_at: string;
  published_at: string | null;
}

/** One customer's report of a published review. */
export interface ReviewFlagTable {
  review_id: string;
  customer_id: string;
  reason: RejectionReason;
  comment: string | null;
  flagged_at: string;
}

/** A product a customer paid for in an order, and whether that order was delivered or canceled. */
export interface ReviewPurchaseTable {
  order_id: string;
  product_id: string;
  customer_id: string;
  paid_at: string | null;
  delivered_at: string | null;
  canceled_at: string | null;
}

/** A product's rating over its published reviews. */
export interface RatingAggregateTable {
  product_id: string;
  count: number;
  total: number;
  stars_1: number;
  stars_2: number;
  stars_3: number;
  stars_4: number;
  stars_5: number;
  /** The mean rounded to 2 decimals; null when count is 0. */
  average: number | null;
  updated_at: string;
}
