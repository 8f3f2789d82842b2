import { ConnectError } from "@connectrpc/connect";
import type { RpcClients } from "@ecom/sdk/rpc";
import { catalogV1 } from "@ecom/sdk/rpc";
import { fail } from "../platform/index.js";

/** A catalog product as promotion needs it. */
export interface CatalogProduct {
  readonly productId: string;
  readonly active: boolean;
  readonly price: { readonly amount: number; readonly currency: string } | undefined;
  /** Its categories and their ancestors. */
  readonly categoryIds: readonly string[];
}

/**
 * Read products from the catalog (BatchGetProducts, 100 ids a call). Ids the catalog does not know are left out
 * of the map; a catalog that cannot answer is a 503, so the caller can retry.
 */
export async function readCatalogProducts(
  rpc: RpcClients,
  productIds: readonly string[],
): Promise<Map<string, CatalogProduct>> {
  const unique = [...new Set(productIds)];
  const found = new Map<string, CatalogProduct>();
  for (let start = 0; start < unique.length; start += 100) {
    let response: catalogV1.BatchGetProductsResponse;
    try {
      response = await rpc.catalog.batchGetProducts({ productIds: unique.slice(start, start + 100) });
    } catch (error) {
      if (error instanceof ConnectError)
        throw fail.unavailable(`The catalog could not answer (${error.message}); try again shortly.`, 1);
      throw error;
    }
    for (const product of response.products) {
      found.set(product.id, {
        productId: product.id,
        active: product.status === catalogV1.ProductStatus.ACTIVE,
        price: product.price
          ? { amount: Number(product.price.amountMinor), currency: product.price.currency }
          : undefined,
        categoryIds: [...product.categoryIds, ...product.ancestorCategoryIds],
      });
    }
  }
  return found;
}
