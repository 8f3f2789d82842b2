import { type AddressTuple, addressOfTuple, addressTuple } from "../platform/address-tuple.js";
import type { PricingSnapshot, PromotionSnapshot } from "./store.js";

/**
 * The pricing snapshot as `checkouts.pricing_json` keeps it: a JSON array of its values in a fixed order instead of
 * an object of named fields, about half the text (the address alone was ~95 bytes, ~45 of them names). The saga's
 * row holds the snapshot from calculate_discount to create_order, its largest size in its life: the longer that is
 * beside what the row keeps at its end, the more of the table's pages split and stay part empty (store.ts,
 * PricingSnapshot). A snapshot written before is a JSON object, and reads as it did.
 *
 * `[products, discount, appliedPromotions, shippingAddress, billingAddress?]`, a product as `[isbn, title]` and an
 * address as its tuple (platform/address-tuple.ts). Read back, each value is the object it was, its fields in the
 * order written (the order's addresses are written as that text); a snapshot whose addresses would not read back so
 * is kept as its object.
 */

type PackedPricing = [
  products: [isbn: string, title: string][],
  discount: number,
  appliedPromotions: PromotionSnapshot[],
  shippingAddress: AddressTuple,
  billingAddress?: AddressTuple,
];

/** `pricing` as `checkouts.pricing_json` keeps it. */
export function packPricing(pricing: PricingSnapshot): string {
  const shipping = addressTuple(pricing.shippingAddress);
  const billing = pricing.billingAddress ? addressTuple(pricing.billingAddress) : null;
  // A product named by its id is a snapshot of before products were kept in the lines' order: none is written now.
  const named = pricing.products.some((product) => product.productId !== undefined);
  if (!shipping || billing === undefined || named) return JSON.stringify(pricing);
  const packed: PackedPricing = [
    pricing.products.map((product) => [product.isbn, product.title]),
    pricing.discount,
    [...pricing.appliedPromotions],
    shipping,
  ];
  if (billing) packed.push(billing);
  return JSON.stringify(packed);
}

/** The snapshot `checkouts.pricing_json` keeps (either form), or null when it keeps none. */
export function readPricing(text: string | null): PricingSnapshot | null {
  if (text === null) return null;
  const parsed = JSON.parse(text) as PackedPricing | PricingSnapshot | null;
  if (!Array.isArray(parsed)) return parsed;
  const [products, discount, appliedPromotions, shipping, billing] = parsed;
  return {
    products: products.map(([isbn, title]) => ({ isbn, title })),
    discount,
    appliedPromotions,
    shippingAddress: addressOfTuple(shipping),
    ...(billing ? { billingAddress: addressOfTuple(billing) } : {}),
  };
}
