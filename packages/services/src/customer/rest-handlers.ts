import type { customerApi } from "@ecom/sdk";
import { type ContextRuntime, fail, type RestHandlers, ServiceError, signedIn } from "../platform/index.js";
import type { Accounts } from "./accounts.js";
import type { AddressBook } from "./address-book.js";
import { toCustomerView, toEditableProfile } from "./customer-views.js";
import { applyProfilePatch } from "./profile-patch.js";
import type { Sessions } from "./sessions.js";
import type { CustomerDatabase } from "./store.js";

const DEFAULT_PAGE_SIZE = 20;

/** The bearer token of a request (the gateway checked its form and signature already). */
function bearerToken(headers: Readonly<Record<string, string>>): string {
  const token = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1];
  if (!token) throw new ServiceError("unauthenticated", "Send a bearer token from POST /auth/login.");
  return token;
}

/** The customer context's REST operations, per contracts/openapi/customer.yaml. */
export function createRestHandlers(
  runtime: ContextRuntime<CustomerDatabase>,
  accounts: Accounts,
  sessions: Sessions,
  addresses: AddressBook,
): RestHandlers<customerApi.operations> {
  const { db, clock, outbox } = runtime;

  const loadCustomer = async (customerId: string) => {
    const row = await db.selectFrom("customers").selectAll().where("customer_id", "=", customerId).executeTakeFirst();
    if (!row) throw fail.notFound(`customer ${customerId}`);
    return row;
  };

  return {
    registerCustomer: async ({ body, correlationId }) => {
      const { customerId, tokens } = await accounts.register({ ...body, role: "customer" }, { correlationId });
      return {
        status: 201,
        body: { customer: toCustomerView(await loadCustomer(customerId)), tokens },
        headers: { location: "/customers/me" },
      };
    },

    login: async ({ body }) => ({ status: 200, body: await accounts.login(body.email, body.password) }),

    refreshTokens: async ({ body }) => ({ status: 200, body: await sessions.refresh(body.refreshToken) }),

    logout: async ({ body, headers, principal }) => {
      await sessions.logout(bearerToken(headers), signedIn(principal), body?.allSessions ?? false);
      return { status: 204 };
    },

    getMyProfile: async ({ principal }) => {
      const row = await db
        .selectFrom("customers")
        .selectAll()
        .where("customer_id", "=", signedIn(principal).customerId)
        .executeTakeFirst();
      // A valid token for a customer this store does not hold (another data folder's): not a usable sign-in.
      if (!row) throw new ServiceError("unauthenticated", "The token's customer does not exist here; sign in again.");
      return { status: 200, body: toCustomerView(row) };
    },

    updateMyProfile: async ({ body, principal, correlationId }) => {
      const { customerId } = signedIn(principal);
      const updated = await db.transaction().execute(async (trx) => {
        const row = await trx
          .selectFrom("customers")
          .selectAll()
          .where("customer_id", "=", customerId)
          .executeTakeFirst();
        if (!row) throw new ServiceError("unauthenticated", "The token's customer does not exist here; sign in again.");
        const { profile, changedFields } = applyProfilePatch(toEditableProfile(row), body);
        if (changedFields.length === 0) return row;
        const now = clock.now().toISOString();
        const next = {
          ...row,
          first_name: profile.firstName,
          last_name: profile.lastName,
          phone: profile.phone ?? null,
          language: profile.preferences.language,
          currency: profile.preferences.currency,
          marketing_email: profile.preferences.marketing.email ? 1 : 0,
          marketing_sms: profile.preferences.marketing.sms ? 1 : 0,
          updated_at: now,
        };
        const { customer_id: _id, ...changes } = next;
        await trx.updateTable("customers").set(changes).where("customer_id", "=", customerId).execute();
        await outbox.publish(
          trx,
          "ecommerce.customer.customer.profile_updated.v1",
          {
            customerId,
            changedFields,
            profile: { email: row.email, membershipLevel: row.membership_level, ...profile },
            updatedAt: now,
          },
          { partitionKey: customerId, correlationId },
        );
        return next;
      });
      return { status: 200, body: toCustomerView(updated) };
    },

    listMyAddresses: async ({ query, principal }) => ({
      status: 200,
      body: await addresses.list(signedIn(principal).customerId, {
        cursor: query.cursor,
        limit: query.limit ?? DEFAULT_PAGE_SIZE,
      }),
    }),

    addMyAddress: async ({ body, principal, correlationId }) => {
      const saved = await addresses.add(signedIn(principal).customerId, body, correlationId);
      return { status: 201, body: saved, headers: { location: `/customers/me/addresses/${saved.addressId}` } };
    },

    getMyAddress: async ({ path, principal }) => ({
      status: 200,
      body: await addresses.get(signedIn(principal).customerId, path.addressId),
    }),

    replaceMyAddress: async ({ path, body, principal }) => ({
      status: 200,
      body: await addresses.replace(signedIn(principal).customerId, path.addressId, body),
    }),

    deleteMyAddress: async ({ path, principal }) => {
      await addresses.remove(signedIn(principal).customerId, path.addressId);
      return { status: 204 };
    },

    getCustomerById: async ({ path, principal }) => {
      if (signedIn(principal).role !== "admin")
        throw fail.forbidden("Reading another customer's profile needs the admin role.");
      return { status: 200, body: toCustomerView(await loadCustomer(path.customerId)) };
    },
  };
}
