import { createConsoleRoutes, type DevTokens } from "@ecom/console";
import type { GatewayRequest, GatewayResponse } from "./gateway/rest-gateway.js";

import { isLoopbackHost } from "./sim-access.js";

/** Sign-in details of a development account. */
export interface DevAccountLogin {
  readonly email: string;
  readonly password: string;
}

/** What the platform gives its console. */
export interface PlatformConsoleOptions {
  readonly contexts: readonly string[];
  /** The accounts whose tokens the console's pages and "try it" use, on loopback only. */
  readonly devAccounts: Readonly<Record<"admin" | "customer", DevAccountLogin>> | undefined;
  /** The address the port listens on; undefined while the platform is only used in-process. */
  readonly host: () => string | undefined;
  /** Serve a request in-process (the console signs in through the platform's own REST surface). */
  readonly handle: (request: GatewayRequest) => Promise<GatewayResponse>;
}

/** The console's routes on the platform: `/`, `/_console/*`, `/openapi.json`, `/asyncapi.json`. */
export function createPlatformConsole(options: PlatformConsoleOptions) {
  const login = async (account: DevAccountLogin): Promise<string> => {
    const response = await options.handle({
      method: "POST",
      url: "/auth/login",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: account.email, password: account.password }),
    });
    if (response.status !== 200) throw new Error(`the console cannot sign in as ${account.email} (${response.status})`);
    return (JSON.parse(response.body) as { accessToken: string }).accessToken;
  };
  const { devAccounts } = options;
  return createConsoleRoutes({
    contexts: options.contexts,
    // Not listening at all (only used in-process) counts as loopback: nothing outside the process can reach it.
    loopback: () => {
      const host = options.host();
      return host === undefined || isLoopbackHost(host);
    },
    ...(devAccounts && options.contexts.includes("customer")
      ? {
          devTokens: async (): Promise<DevTokens> => {
            const [admin, customer] = await Promise.all([login(devAccounts.admin), login(devAccounts.customer)]);
            return { admin, customer };
          },
        }
      : {}),
  });
}
