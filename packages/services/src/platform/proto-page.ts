import { create } from "@bufbuild/protobuf";
import { commonV1 } from "@ecom/sdk/rpc";

/**
 * AIP-158 pages (common.proto) as the REST contract's cursor pages: a PageRequest as the `limit` and `cursor` query
 * parameters (page_size 0 is the default, so it is left out), and a PageInfo as the PageResponse.
 */
export function pageQueryOf(page: commonV1.PageRequest | undefined): { limit?: number; cursor?: string } {
  return {
    ...(page && page.pageSize !== 0 ? { limit: page.pageSize } : {}),
    ...(page && page.pageToken !== "" ? { cursor: page.pageToken } : {}),
  };
}

/** A REST PageInfo as the proto PageResponse. */
export function protoPageOf(page: { readonly nextCursor?: string; readonly total?: number }): commonV1.PageResponse {
  return create(commonV1.PageResponseSchema, {
    nextPageToken: page.nextCursor ?? "",
    ...(page.total === undefined ? {} : { totalSize: page.total }),
  });
}
