import type { DescService } from "@bufbuild/protobuf";
import { type Client, Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { allContexts, devAccounts } from "@ecom/services";
import { createPlatform, type Platform } from "@ecom/simulator";
import { quiet, type Shopper, shopAt } from "../simulator/shop.js";

// What the RPC tests share: a whole platform listening on a loopback port, signed-in callers with their tokens,
// and Connect clients of any service over the port (Connect, gRPC-web or gRPC), as an integrator would call them.

/** A signed-in caller: their REST client and id (from shop.ts) and their bearer token for RPCs. */
export interface Caller extends Shopper {
  readonly token: string;
}

/** The three protocols the port serves RPCs in. */
export type Protocol = "connect" | "grpc-web" | "grpc";

/** A running platform for RPC tests. */
export interface RpcKit {
  readonly platform: Platform;
  readonly url: string;
  readonly shop: ReturnType<typeof shopAt>;
  /** A new customer with a default address, signed in. */
  customer(): Promise<Caller>;
  /** The dev admin, signed in. */
  admin(): Promise<Caller>;
  /** A client of `service` over the port, sending `token` (none when undefined). */
  client<TService extends DescService>(
    service: TService,
    token: string | undefined,
    protocol?: Protocol,
  ): Client<TService>;
  close(): Promise<void>;
}

const PASSWORD = "a-long-enough-password";

/** Start every context on an in-memory store, listening on a free loopback port. */
export async function startRpcKit(seed: number): Promise<RpcKit> {
  const platform = await createPlatform({ contexts: allContexts, memory: true, seed, log: quiet });
  const url = await platform.listen(0);
  const shop = shopAt(platform);
  const tokenOf = async (email: string, password: string) => {
    const { data, error } = await shop.anonymous().customer.login({ body: { email, password } });
    if (!data) throw new Error(`login failed: ${JSON.stringify(error)}`);
    return data.accessToken;
  };
  const transports: Record<Protocol, (interceptors: Interceptor[]) => Transport> = {
    connect: (interceptors) => createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors }),
    "grpc-web": (interceptors) => createGrpcWebTransport({ baseUrl: url, httpVersion: "1.1", interceptors }),
    grpc: (interceptors) => createGrpcTransport({ baseUrl: url, interceptors }),
  };
  return {
    platform,
    url,
    shop,
    async customer() {
      const shopper = await shop.register();
      return { ...shopper, token: await tokenOf(shopper.email, PASSWORD) };
    },
    async admin() {
      const admin = await shop.admin();
      return { ...admin, token: await tokenOf(devAccounts.admin.email, devAccounts.admin.password) };
    },
    client(service, token, protocol = "connect") {
      const bearer: Interceptor = (next) => async (request) => {
        if (token !== undefined) request.header.set("authorization", `Bearer ${token}`);
        return next(request);
      };
      return createClient(service, transports[protocol]([bearer]));
    },
    close: () => platform.close(),
  };
}

/** The Connect code a call failed with, or "ok" when it succeeded. */
export async function outcome(call: Promise<unknown>): Promise<Code | "ok"> {
  try {
    await call;
    return "ok";
  } catch (error) {
    return ConnectError.from(error).code;
  }
}

export { Code };
