import { describe, expect, it } from "vitest";
import { indexProtoFiles } from "./proto-index.js";

const source = `syntax = "proto3";

// service Commented { rpc Hidden(A) returns (B); }
package ecom.inventory.v1;

/* A block comment with rpc Fake( inside. */
service InventoryService {
  // Holds stock.
  rpc ReserveStock(ReserveStockRequest) returns (ReserveStockResponse) {
    option idempotency_level = IDEMPOTENT;
  }
  rpc QueryStock (QueryStockRequest) returns (QueryStockResponse);
}

message Note { string text = 1 [json_name = "rpc Text("]; }

service StockAdminService {
  rpc AdjustStock(AdjustStockRequest) returns (AdjustStockResponse);
}
`;

describe("indexProtoFiles", () => {
  it("finds the package, services and methods with their lines, ignoring comments and strings", () => {
    const index = indexProtoFiles(new Map([["proto/ecom/inventory/v1/inventory.proto", source]]));
    expect(index.packages).toEqual([
      { file: "proto/ecom/inventory/v1/inventory.proto", name: "ecom.inventory.v1", line: 4 },
    ]);
    expect([...index.services.keys()]).toEqual([
      "ecom.inventory.v1.InventoryService",
      "ecom.inventory.v1.StockAdminService",
    ]);
    const inventory = index.services.get("ecom.inventory.v1.InventoryService");
    expect(inventory?.line).toBe(7);
    expect([...(inventory?.methods ?? [])]).toEqual([
      ["ReserveStock", 9],
      ["QueryStock", 12],
    ]);
    expect([...(index.services.get("ecom.inventory.v1.StockAdminService")?.methods.keys() ?? [])]).toEqual([
      "AdjustStock",
    ]);
  });
});
