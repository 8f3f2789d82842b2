import { isMessage } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createClient,
  createContextKey,
  createContextValues,
  type Interceptor,
} from "@connectrpc/connect";
import { catalogV1 } from "@ecom/sdk/rpc";
import { describe, expect, it } from "vitest";
import { createInProcessTransport } from "./in-process-transport.js";

const { CatalogService } = catalogV1;
const seenBy = createContextKey<string>("nobody", { description: "test: who set this value" });

async function failureOf(call: Promise<unknown>): Promise<ConnectError> {
  try {
    await call;
  } catch (error) {
    expect(error).toBeInstanceOf(ConnectError);
    return error as ConnectError;
  }
  throw new Error("the call succeeded");
}

describe("the in-process transport", () => {
  it("hands the request to the implementation and answers its output as a message of the method's type", async () => {
    const routes = (router: ConnectRouter) =>
      router.service(CatalogService, {
        getProduct: (request) => ({ product: { id: request.productId, title: "Dune" } }),
      });
    const client = createClient(CatalogService, createInProcessTransport(routes));
    const answer = await client.getProduct({ productId: "prd_1" });
    expect(isMessage(answer, catalogV1.GetProductResponseSchema)).toBe(true);
    expect(answer.product).toMatchObject({ id: "prd_1", title: "Dune", isbn: "" });
  });

  it("runs the caller's interceptors, then the server's, which see the caller's headers but their own context values", async () => {
    const order: string[] = [];
    const caller: Interceptor = (next) => async (request) => {
      order.push("caller");
      request.contextValues.set(seenBy, "caller");
      request.header.set("correlation-id", "cor_1");
      return next(request);
    };
    let serverSaw: { header: string | null; value: string } | undefined;
    const server: Interceptor = (next) => async (request) => {
      order.push("server");
      serverSaw = { header: request.header.get("correlation-id"), value: request.contextValues.get(seenBy) };
      request.contextValues.set(seenBy, "server");
      return next(request);
    };
    let handlerSaw = "";
    const routes = (router: ConnectRouter) =>
      router.rpc(CatalogService.method.getProduct, (_request, context) => {
        handlerSaw = context.values.get(seenBy);
        return {};
      });
    const client = createClient(
      CatalogService,
      createInProcessTransport(routes, { transport: { interceptors: [caller] }, router: { interceptors: [server] } }),
    );
    await client.getProduct({ productId: "prd_1" }, { contextValues: createContextValues() });
    expect(order).toEqual(["caller", "server"]);
    expect(serverSaw).toEqual({ header: "cor_1", value: "nobody" });
    expect(handlerSaw).toBe("server");
  });

  it("keeps a handler's Connect error as it is and answers anything else thrown as unknown", async () => {
    const routes = (router: ConnectRouter) =>
      router.service(CatalogService, {
        getProduct: () => {
          throw new ConnectError("no such product", Code.NotFound);
        },
        listProducts: () => {
          throw new TypeError("a bug");
        },
      });
    const client = createClient(CatalogService, createInProcessTransport(routes));
    const notFound = await failureOf(client.getProduct({ productId: "prd_1" }));
    expect([notFound.code, notFound.rawMessage]).toEqual([Code.NotFound, "no such product"]);
    const bug = await failureOf(client.listProducts({}));
    expect([bug.code, bug.rawMessage]).toEqual([Code.Unknown, "a bug"]);
  });

  it("answers a method no context implements as unimplemented", async () => {
    const client = createClient(
      CatalogService,
      createInProcessTransport(() => {}),
    );
    expect((await failureOf(client.getProduct({ productId: "prd_1" }))).code).toBe(Code.Unimplemented);
  });

  it("ends a call whose deadline passes first as deadline_exceeded, and gives the handler a signal that fires", async () => {
    let handlerSignal: AbortSignal | undefined;
    const routes = (router: ConnectRouter) =>
      router.rpc(CatalogService.method.getProduct, (_request, context) => {
        handlerSignal = context.signal;
        return new Promise<never>(() => {});
      });
    const client = createClient(CatalogService, createInProcessTransport(routes));
    const late = await failureOf(client.getProduct({ productId: "prd_1" }, { timeoutMs: 5 }));
    expect(late.code).toBe(Code.DeadlineExceeded);
    expect(handlerSignal?.aborted).toBe(true);
  });

  it("passes a signal on through an interceptor that spreads the request into a new one", async () => {
    const spreading: Interceptor = (next) => (request) => next({ ...request, header: new Headers(request.header) });
    let handlerSignal: AbortSignal | undefined;
    const routes = (router: ConnectRouter) =>
      router.rpc(CatalogService.method.getProduct, (_request, context) => {
        handlerSignal = context.signal;
        return {};
      });
    const client = createClient(
      CatalogService,
      createInProcessTransport(routes, { transport: { interceptors: [spreading] } }),
    );
    await client.getProduct({ productId: "prd_1" });
    expect(handlerSignal).toBeInstanceOf(AbortSignal);
    expect(handlerSignal?.aborted).toBe(false);
  });

  it("makes no AbortController for a call without a deadline unless the handler reads its signal", async () => {
    let made = 0;
    const Original = globalThis.AbortController;
    globalThis.AbortController = class extends Original {
      constructor() {
        super();
        made++;
      }
    };
    try {
      let readSignal = false;
      let signal: AbortSignal | undefined;
      const routes = (router: ConnectRouter) =>
        router.rpc(CatalogService.method.getProduct, (request, context) => {
          if (readSignal) signal = context.signal;
          return { product: { id: request.productId } };
        });
      const client = createClient(CatalogService, createInProcessTransport(routes));
      await client.getProduct({ productId: "prd_1" });
      expect(made).toBe(0);
      readSignal = true;
      await client.getProduct({ productId: "prd_2" });
      expect(made).toBe(1);
      expect(signal?.aborted).toBe(false);
    } finally {
      globalThis.AbortController = Original;
    }
  });
});
