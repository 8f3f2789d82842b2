import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { createLintContext } from "../lint/lint-contracts.js";
import { createMemoryFiles } from "../source/contract-files.js";
import { loadContractSet } from "../source/contract-set.js";
import { linkedValues } from "./response-links.js";
import { restOperations } from "./rest-operations.js";
import { chainOrder } from "./rest-verify.js";
import { breakBody } from "./schema-breaker.js";
import { type SampleMode, sampleValue } from "./schema-sampler.js";
import { seededRandom } from "./verify-implementation.js";

const item = {
  type: "object",
  additionalProperties: false,
  required: ["productId", "quantity"],
  properties: {
    productId: { type: "string", pattern: "^prd_[0-9A-Z]{26}$" },
    quantity: { type: "integer", minimum: 1, maximum: 99 },
    note: { type: "string", maxLength: 10 },
    kind: { type: "string", enum: ["BOOK", "EBOOK"] },
    tags: { type: "array", items: { type: "string", minLength: 2 }, maxItems: 3, uniqueItems: true },
  },
};

const document = {
  openapi: "3.1.0",
  info: { title: "shop", version: "1.0.0" },
  paths: {
    "/carts/{cartId}": {
      get: { operationId: "getCart", responses: { "200": { description: "ok" } } },
      delete: { operationId: "deleteCart", responses: { "204": { description: "gone" } } },
    },
    "/carts/{cartId}/items": {
      post: {
        operationId: "addItem",
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/Item" } } },
        },
        responses: { "201": { description: "added" } },
      },
    },
    "/carts": {
      post: {
        operationId: "createCart",
        responses: {
          "201": {
            description: "created",
            links: {
              GetCart: {
                operationId: "getCart",
                parameters: { "path.cartId": "$response.body#/cart/ref", trace: "$response.header.Trace-Id" },
              },
            },
          },
        },
      },
    },
  },
  components: { schemas: { Item: item } },
};

async function view() {
  return createLintContext(await loadContractSet(createMemoryFiles({ "openapi/shop.yaml": stringify(document) })));
}

const schemaAt = { file: "openapi/shop.yaml", pointer: "/components/schemas/Item", value: item };
const validate = new Ajv2020({ strict: false }).compile(item);

describe("verify's cases", () => {
  it.each(["required", "all", "min", "max"] as SampleMode[])("makes a valid body in %s mode", async (mode) => {
    const value = sampleValue(await view(), schemaAt, { mode, random: seededRandom(3) });
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    if (mode === "required") expect(Object.keys(value as object).sort()).toEqual(["productId", "quantity"]);
    if (mode === "min") expect(value).toMatchObject({ quantity: 1 });
    if (mode === "max") expect(value).toMatchObject({ quantity: 99, note: "vvvvvvvvvv" });
  });

  it("makes the same values from the same seed, and ids known from earlier answers replace made-up ones", async () => {
    const context = await view();
    const bindings = new Map([["productId", "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A"]]);
    const first = sampleValue(context, schemaAt, { mode: "all", random: seededRandom(9), bindings });
    const again = sampleValue(context, schemaAt, { mode: "all", random: seededRandom(9), bindings });
    expect(again).toEqual(first);
    expect(first).toMatchObject({ productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A" });
  });

  it("breaks a valid body each way, and every broken body is invalid", async () => {
    const context = await view();
    const valid = sampleValue(context, schemaAt, { mode: "all", random: seededRandom(1) });
    const broken = breakBody(context, schemaAt, valid);
    expect(broken.map((entry) => entry.change)).toEqual([
      "required property productId missing",
      "wrong type at /productId",
      "out of range at /quantity",
      "unknown enum value at /kind",
      "extra property on a closed object",
    ]);
    for (const entry of broken) expect(validate(entry.body), entry.change).toBe(false);
  });

  it("orders operations so that collections come before items and deletions last", async () => {
    const order = chainOrder(restOperations(await view())).map((operation) => operation.operationId);
    expect(order).toEqual(["createCart", "getCart", "addItem", "deleteCart"]);
  });

  it("reads the ids a response's OpenAPI links name (runtime expressions into the body and headers)", async () => {
    const context = await view();
    const createCart = restOperations(context).find((operation) => operation.operationId === "createCart");
    const documented = createCart?.responses.get("201");
    if (!documented) throw new Error("no 201");
    const answer = {
      status: 201,
      headers: new Headers({ "trace-id": "t-1" }),
      text: "",
      json: { cart: { ref: "crt_9" } },
    };
    expect(linkedValues(context, documented, answer)).toEqual(
      new Map([
        ["cartId", "crt_9"],
        ["trace", "t-1"],
      ]),
    );
  });
});
