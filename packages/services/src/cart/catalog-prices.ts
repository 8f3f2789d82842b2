import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ConnectError } from "@connectrpc/connect";
import type { RpcClients } from "@ecom/sdk/rpc";
import { catalogV1 } from "@ecom/sdk/rpc";
import { fail } from "../platform/index.js";

/** What the cart keeps of a catalog product: its label and its current price. */
export interface PricedProduct {
  readonly productId: string;
  readonly isbn: string;
  readonly title: string;
  readonly unitPrice: number;
  /** When the catalog last changed the product (its price included). */
  readonly priceAsOf: string;
}

/**
 * Current catalog prices of products a cart is about to hold or check out, in one BatchGetProducts call. A product
 * the catalog does not know, has discontinued, or does not sell in the cart's currency is a 422 naming it; a
 * catalog that cannot answer is a 503 (retry).
 */
export async function currentPrices(
  rpc: RpcClients,
  productIds: readonly string[],
  currency: string,
  now: Date,
): Promise<Map<string, PricedProduct>> {
  let response: catalogV1.BatchGetProductsResponse;
  try {
    response = await rpc.catalog.batchGetProducts({ productIds: [...new Set(productIds)] });
  } catch (error) {
    if (error instanceof ConnectError)
      throw fail.unavailable(`The catalog could not answer (${error.message}); try again shortly.`, 1);
    throw error;
  }
  if (response.missingProductIds.length > 0)
    throw fail.unprocessable(`The catalog has no product ${response.missingProductIds.join(", ")}.`);
  const prices = new Map<string, PricedProduct>();
  for (const product of response.products) {
    if (product.status !== catalogV1.ProductStatus.ACTIVE)
      throw fail.unprocessable(
        `Product ${product.id} (${product.title}) is discontinued and can no longer be bought; remove it from the cart.`,
      );
    if (!product.price || product.price.currency !== currency)
      throw fail.unprocessable(`Product ${product.id} is not sold in ${currency}, the cart's currency.`);
    prices.set(product.id, {
      productId: product.id,
      isbn: product.isbn,
      title: product.title,
      unitPrice: Number(product.price.amountMinor),
      priceAsOf: (product.updatedAt ? timestampDate(product.updatedAt) : now).toISOString(),
    });
  }
  return prices;
}
