import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "./client.js";
import { restContexts } from "./gen/rest/index.js";
import { createMockHandlers } from "./msw.js";

const baseUrl = "http://ecom.test";
const server = setupServer(...createMockHandlers({ baseUrl }));
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const cartId = "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G";
const client = createClient({ baseUrl, token: "a-token", retry: { maxAttempts: 1 } });
const exampleOf = (operationId: string, status: string) =>
  restContexts
    .cart!.operations.find((operation) => operation.operationId === operationId)!
    .responses.find((response) => response.status === status)!.example;

describe("createMockHandlers", () => {
  it("answers a valid request with the contract's example", async () => {
    const { data, error, response } = await client.cart.getCart({ params: { path: { cartId } } });
    expect(error).toBeUndefined();
    expect(response.status).toBe(200);
    expect(data).toEqual(exampleOf("getCart", "200"));
  });

  it("answers a body that breaks the contract with 400 and a problem naming the field", async () => {
    const { data, error, response } = await client.cart.addCartItem({
      params: { path: { cartId } },
      body: { productId: "prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A", quantity: 0 },
    });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(error).toMatchObject({ code: "validation", status: 400 });
    expect((error as { errors: { pointer: string }[] }).errors.map((issue) => issue.pointer)).toContain(
      "/body/quantity",
    );
  });

  it("answers a body with several faults with one 400 listing every one with its pointer", async () => {
    const { error, response } = await client.customer.addMyAddress({
      // A bad enum, a wrong type, a property the contract lacks, and `address` missing.
      body: { label: "MANSION", isDefault: "yes", nickname: "home sweet home" } as never,
    });
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ code: "validation" });
    const errors = (error as { errors: { pointer: string; message: string }[] }).errors;
    expect(errors).toHaveLength(4);
    expect(errors).toEqual(
      expect.arrayContaining([
        { pointer: "/body/address", message: "is required" },
        { pointer: "/body/nickname", message: expect.stringContaining("is not a property the contract defines") },
        { pointer: "/body/label", message: 'must be one of "HOME", "WORK", "OTHER"' },
        { pointer: "/body/isDefault", message: "must be boolean" },
      ]),
    );
  });

  it("answers a path parameter that is not an id of the right kind with 400", async () => {
    const { response } = await client.cart.getCart({ params: { path: { cartId: "ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R" } } });
    expect(response.status).toBe(400);
  });

  it("answers a mutation without a token with 401", async () => {
    const anonymous = createClient({ baseUrl, retry: { maxAttempts: 1 } });
    const { error, response } = await anonymous.cart.createCart({ body: { currency: "USD" } });
    expect(response.status).toBe(401);
    expect(error).toMatchObject({ code: "unauthenticated" });
  });

  it("serves every context of the contracts", () => {
    const handlers = createMockHandlers({ baseUrl });
    const operations = Object.values(restContexts).reduce((count, binding) => count + binding.operations.length, 0);
    expect(handlers).toHaveLength(operations);
  });
});
