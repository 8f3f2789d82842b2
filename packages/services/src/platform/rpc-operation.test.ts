import { createContextValues, createHandlerContext } from "@connectrpc/connect";
import { cartV1 } from "@ecom/sdk/rpc";
import { describe, expect, it } from "vitest";
import type { RestRequest } from "./context-module.js";
import type { Principal } from "./ports.js";
import { callerKey } from "./rpc-caller.js";
import { answerWithOperation } from "./rpc-operation.js";
import { isServiceError, ServiceError } from "./service-error.js";

const CART = "crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G";
const ALICE: Principal = { customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E", role: "customer" };
const ids = { next: (prefix: string) => `${prefix}_generated` };
const getCart = { context: "cart", operationId: "getCart" } as const;

function contextOf(caller?: Principal, headers: Record<string, string> = {}) {
  const contextValues = createContextValues();
  if (caller) contextValues.set(callerKey, { kind: "principal", principal: caller });
  return createHandlerContext({
    service: cartV1.CartService,
    method: cartV1.CartService.method.getCart,
    protocolName: "connect",
    requestMethod: "POST",
    url: "http://ecom.test/ecom.cart.v1.CartService/GetCart",
    requestHeader: headers,
    contextValues,
  });
}

/** A handler that records what it was given and answers `answer`. */
function recording<TAnswer>(answer: TAnswer) {
  const seen: RestRequest<{ cartId: string }, Record<string, never>, undefined>[] = [];
  const handler = async (request: RestRequest<{ cartId: string }, Record<string, never>, undefined>) => {
    seen.push(request);
    return answer;
  };
  return { seen, handler };
}

async function failure(work: Promise<unknown>): Promise<ServiceError | undefined> {
  try {
    await work;
    return undefined;
  } catch (error) {
    return isServiceError(error) ? error : undefined;
  }
}

describe("answering an RPC with a context's REST operation", () => {
  it("hands the handler the RPC's caller and correlation id", async () => {
    const { seen, handler } = recording({ status: 200 as const, body: { cartId: CART } });
    const result = await answerWithOperation(
      getCart,
      handler,
      { path: { cartId: CART }, query: {}, body: undefined },
      { context: contextOf(ALICE, { "correlation-id": "cor_from_caller" }), ids },
    );
    expect(result.body).toEqual({ cartId: CART });
    expect(seen[0]).toMatchObject({ principal: ALICE, correlationId: "cor_from_caller", path: { cartId: CART } });
  });

  it("acts for nobody when the call carries no customer, and makes up a correlation id", async () => {
    const { seen, handler } = recording({ status: 200 as const, body: {} });
    await answerWithOperation(
      getCart,
      handler,
      { path: { cartId: CART }, query: {}, body: undefined },
      {
        context: contextOf(),
        ids,
      },
    );
    expect(seen[0]).toMatchObject({ principal: undefined, correlationId: "cor_generated" });
  });

  it("refuses a request the contract's validators reject before the handler runs", async () => {
    const { seen, handler } = recording({ status: 200 as const, body: {} });
    const error = await failure(
      answerWithOperation(
        getCart,
        handler,
        { path: { cartId: "crt_nope" }, query: {}, body: undefined },
        {
          context: contextOf(ALICE),
          ids,
        },
      ),
    );
    expect(error?.code).toBe("validation");
    expect(error?.message).toMatch(/cartId/);
    expect(seen).toHaveLength(0);
  });

  it.each([
    ["a 409 problem", 409, "conflict"],
    ["a 402 problem (a declined card)", 402, "unprocessable"],
    ["a 503 problem", 503, "unavailable"],
  ])("answers %s as the error of that status in the one table", async (_name, status, code) => {
    const { handler } = recording({
      status,
      body: { type: "https://ecom.dev/problems/card_declined", status, code: "card_declined", detail: "Declined." },
    });
    const error = await failure(
      answerWithOperation(
        getCart,
        handler,
        { path: { cartId: CART }, query: {}, body: undefined },
        {
          context: contextOf(ALICE),
          ids,
        },
      ),
    );
    expect(error).toMatchObject({ code, message: "Declined.", details: { problem: "card_declined" } });
  });

  it("passes the handler's ServiceErrors through unchanged", async () => {
    const handler = async () => {
      throw new ServiceError("not_found", "No cart.");
    };
    const error = await failure(
      answerWithOperation(
        getCart,
        handler,
        { path: { cartId: CART }, query: {}, body: undefined },
        {
          context: contextOf(ALICE),
          ids,
        },
      ),
    );
    expect(error?.code).toBe("not_found");
  });
});
