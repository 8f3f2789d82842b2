import { defineContext } from "../platform/index.js";
import { createAccounts } from "./accounts.js";
import { createAddressBook } from "./address-book.js";
import { migrations } from "./migrations.js";
import { createRestHandlers } from "./rest-handlers.js";
import { registerCustomerService } from "./rpc-service.js";
import { seedDevAccounts } from "./seed.js";
import { createSessions } from "./sessions.js";
import type { CustomerDatabase } from "./store.js";

export { DEV_ADMIN, DEV_CUSTOMER, type DevAccount } from "./dev-accounts.js";
export type { CustomerDatabase } from "./store.js";

/**
 * The customer context: customers, addresses and preferences, credentials (scrypt) and sessions; it issues the
 * platform's JWTs. REST per contracts/openapi/customer.yaml, CustomerService per its proto, and the events of
 * contracts/asyncapi/customer.yaml.
 */
export const customerContext = defineContext<CustomerDatabase>({
  name: "customer",
  migrations,
  create(runtime) {
    const sessions = createSessions(runtime);
    const accounts = createAccounts(runtime, sessions);
    const addresses = createAddressBook(runtime);
    return {
      rest: createRestHandlers(runtime, accounts, sessions, addresses),
      rpc: (router) => registerCustomerService(router, runtime),
      seed: () => seedDevAccounts(runtime, addresses),
      tick: (now) => sessions.pruneExpiredTokens(now),
    };
  },
});
