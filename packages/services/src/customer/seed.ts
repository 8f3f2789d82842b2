import type { ContextRuntime } from "../platform/index.js";
import { insertCustomer } from "./accounts.js";
import type { AddressBook } from "./address-book.js";
import { DEV_ADMIN, DEV_CUSTOMER, DEV_CUSTOMER_ADDRESS } from "./dev-accounts.js";
import { hashPassword } from "./password-hash.js";
import type { CustomerDatabase } from "./store.js";

/** The correlation id of everything the seed publishes. */
const SEED_CORRELATION = "seed";

/**
 * Seed an empty store with the development accounts (an admin, and a demo customer with a default shipping
 * address), publishing their registration and address events like any other. Does nothing on a store that has
 * customers.
 */
export async function seedDevAccounts(
  runtime: ContextRuntime<CustomerDatabase>,
  addresses: AddressBook,
): Promise<void> {
  const existing = await runtime.db.selectFrom("customers").select("customer_id").limit(1).executeTakeFirst();
  if (existing) return;
  // Hashed outside the transaction and side by side: scrypt runs on the thread pool.
  const [adminHash, customerHash] = await Promise.all([
    hashPassword(DEV_ADMIN.password),
    hashPassword(DEV_CUSTOMER.password),
  ]);
  const cause = { correlationId: SEED_CORRELATION };
  await runtime.db.transaction().execute(async (trx) => {
    await insertCustomer(runtime, trx, { ...DEV_ADMIN, passwordHash: adminHash }, cause);
    const customerId = await insertCustomer(runtime, trx, { ...DEV_CUSTOMER, passwordHash: customerHash }, cause);
    await addresses.insertAddress(
      trx,
      customerId,
      { label: "HOME", isDefault: true, address: DEV_CUSTOMER_ADDRESS },
      SEED_CORRELATION,
    );
  });
}
