import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createMemoryFiles } from "../source/contract-files.js";
import { compareContracts } from "./compare-contracts.js";
import { CompatError } from "./compat-error.js";
import { compatRules } from "./rule-catalog.js";

const inventory = `syntax = "proto3";

package ecom.inventory.v1;

// Holds stock for checkouts.
service InventoryService {
  rpc ReserveStock(ReserveStockRequest) returns (ReserveStockResponse);
  rpc QueryStock(QueryStockRequest) returns (QueryStockResponse);
}

message ReserveStockRequest {
  string checkout_id = 1;
  repeated Line lines = 2;
}

message Line {
  string product_id = 1;
  int32 quantity = 2;
}

message ReserveStockResponse {
  string reservation_id = 1;
}

message QueryStockRequest {
  repeated string product_ids = 1;
}

message QueryStockResponse {
  map<string, int32> available = 1;
}
`;

const catalog = `syntax = "proto3";

package ecom.catalog.v1;

service CatalogService {
  rpc GetProduct(GetProductRequest) returns (GetProductResponse);
}

message GetProductRequest {
  string product_id = 1;
}

message GetProductResponse {
  string title = 1;
}
`;

const contexts = stringify({
  version: 1,
  contexts: {
    inventory: { rpc: ["ecom.inventory.v1.InventoryService"] },
    order: { calls: ["ecom.inventory.v1.InventoryService/ReserveStock"] },
    search: { calls: ["ecom.inventory.v1.InventoryService/QueryStock", "ecom.catalog.v1.CatalogService/GetProduct"] },
  },
});

const bufYaml = (category: string) => `version: v2\nmodules:\n  - path: .\nbreaking:\n  use:\n    - ${category}\n`;
const module = (files: Record<string, string>, category = "FILE") => ({
  "contexts.yaml": contexts,
  "proto/buf.yaml": bufYaml(category),
  ...Object.fromEntries(Object.entries(files).map(([path, text]) => [`proto/${path}`, text])),
});
const both = { "ecom/inventory/v1/inventory.proto": inventory, "ecom/catalog/v1/catalog.proto": catalog };
const edit = (from: string, to: string) => ({
  ...both,
  "ecom/inventory/v1/inventory.proto": inventory.replace(from, to),
});

interface Case {
  readonly base: Record<string, string>;
  readonly head: Record<string, string>;
  /** `"<severity> <rule id> <consumers>"` of every finding. */
  readonly want: readonly string[];
}

const cases: [string, Case][] = [
  [
    "a field deleted from a message an RPC reaches through another message (buf)",
    {
      base: module(both),
      head: module(edit("  int32 quantity = 2;\n", "")),
      want: ["breaking proto/FIELD_NO_DELETE order"],
    },
  ],
  [
    "a field's type changed (buf)",
    {
      base: module(both),
      head: module(edit("repeated string product_ids = 1;", "repeated int64 product_ids = 1;")),
      want: ["breaking proto/FIELD_SAME_TYPE search"],
    },
  ],
  [
    "an RPC removed",
    {
      base: module(both),
      head: module(edit("  rpc QueryStock(QueryStockRequest) returns (QueryStockResponse);\n", "")),
      want: ["breaking proto/rpc-removed search"],
    },
  ],
  [
    "an RPC removed where buf.yaml configures WIRE_JSON, which does not report deletions",
    {
      base: module(both, "WIRE_JSON"),
      head: module(edit("  rpc QueryStock(QueryStockRequest) returns (QueryStockResponse);\n", ""), "WIRE_JSON"),
      want: ["breaking proto/rpc-removed search"],
    },
  ],
  [
    "a service removed",
    {
      base: module(both),
      head: module({
        ...both,
        "ecom/catalog/v1/catalog.proto": catalog.replace(/service CatalogService \{[^}]*\}\n/, ""),
      }),
      want: ["breaking proto/service-removed search"],
    },
  ],
  [
    "an RPC added",
    {
      base: module(both),
      head: module(
        edit(
          "  rpc QueryStock(",
          "  rpc ReleaseStock(QueryStockRequest) returns (QueryStockResponse);\n  rpc QueryStock(",
        ),
      ),
      want: ["info proto/rpc-added"],
    },
  ],
  [
    "a service added, in a new file",
    {
      base: module(both),
      head: module({
        ...both,
        "ecom/payment/v1/payment.proto":
          'syntax = "proto3";\npackage ecom.payment.v1;\nservice PaymentService {\n  rpc Authorize(AuthorizeRequest) returns (AuthorizeResponse);\n}\nmessage AuthorizeRequest {}\nmessage AuthorizeResponse {}\n',
      }),
      want: ["info proto/service-added"],
    },
  ],
  [
    "every proto file deleted",
    {
      base: module(both),
      head: { "contexts.yaml": contexts },
      want: [
        "breaking proto/FILE_NO_DELETE order, search",
        "breaking proto/FILE_NO_DELETE search",
        "breaking proto/service-removed order, search",
        "breaking proto/service-removed search",
      ],
    },
  ],
  [
    "the first proto files added",
    {
      base: { "contexts.yaml": contexts },
      head: module(both),
      want: ["info proto/service-added", "info proto/service-added"],
    },
  ],
  [
    "only comments edited",
    {
      base: module(both),
      head: module(edit("// Holds stock for checkouts.", "// Holds stock for checkouts, all or nothing.")),
      want: [],
    },
  ],
];

describe("protobuf rules", () => {
  it.each(cases)("%s", async (_name, testCase) => {
    const report = await compareContracts({
      base: createMemoryFiles(testCase.base),
      head: createMemoryFiles(testCase.head),
    });
    const verdicts = report.findings.map((finding) =>
      [finding.severity, finding.ruleId, finding.consumers.join(", ")].filter(Boolean).join(" "),
    );
    expect(verdicts.sort()).toEqual([...testCase.want].sort());
  });

  it("covers every protobuf rule of ecom's own", () => {
    const covered = new Set(cases.flatMap(([, { want }]) => want.map((entry) => entry.split(" ")[1])));
    expect(compatRules.filter((rule) => rule.kind === "proto" && !covered.has(rule.id)).map((rule) => rule.id)).toEqual(
      [],
    );
  });

  it("locates buf's findings in the head file, with the element's full name", async () => {
    const report = await compareContracts({
      base: createMemoryFiles(module(both)),
      head: createMemoryFiles(module(edit("  int32 quantity = 2;\n", ""))),
      fileRoot: "contracts",
    });
    expect(report.findings).toEqual([
      {
        ruleId: "proto/FIELD_NO_DELETE",
        severity: "breaking",
        kind: "proto",
        file: "contracts/proto/ecom/inventory/v1/inventory.proto",
        line: 16,
        pointer: "ecom.inventory.v1.Line",
        message: 'Previously present field "2" with name "quantity" on message "Line" was deleted.',
        consumers: ["order"],
      },
    ]);
  });

  it("does not run buf when every proto file is byte-identical", async () => {
    const report = await compareContracts({
      base: createMemoryFiles({ ...module(both), "openapi/x.yaml": "openapi: 3.1.0\n" }),
      head: createMemoryFiles({ ...module(both), "openapi/x.yaml": "openapi: 3.1.0\n" }),
      bufPath: "/nonexistent/buf",
    });
    expect(report.findings).toEqual([]);
  });

  it("rejects a proto file that does not compile, naming it", async () => {
    const broken = compareContracts({
      base: createMemoryFiles(module(both)),
      head: createMemoryFiles(module(edit("int32 quantity = 2;", "int32 quantity = ;"))),
    });
    await expect(broken).rejects.toThrowError(CompatError);
    await expect(broken).rejects.toThrowError(/^head: proto\/ecom\/inventory\/v1\/inventory\.proto:18: /);
    await expect(broken).rejects.toMatchObject({ code: "unparsable-contract" });
  });
});
