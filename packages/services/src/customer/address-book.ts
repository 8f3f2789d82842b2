import type { customerApi } from "@ecom/sdk";
import type { Kysely, Transaction } from "kysely";
import { type ContextRuntime, decodeQueryCursor, fail, pageOf } from "../platform/index.js";
import { type AddressView, toAddressView } from "./customer-views.js";
import type { CustomerDatabase } from "./store.js";

type AddressInput = customerApi.components["schemas"]["AddressInput"];

/** How many addresses one customer may keep. */
export const MAX_ADDRESSES = 20;

/** Where a page of addresses ends: the last one's default flag (`d`, 1 or 0) and id. */
const isAddressPosition = (value: Record<string, unknown>): value is { d: number; id: string } =>
  (value.d === 0 || value.d === 1) && typeof value.id === "string";

/**
 * A customer's address book. Every operation is scoped to one customer: another customer's address is answered
 * exactly like a missing one (404), so nobody can probe someone else's address book.
 */
export function createAddressBook(runtime: ContextRuntime<CustomerDatabase>) {
  const { db, clock, ids, outbox } = runtime;

  /** Save an address and publish address.added, in the caller's transaction. */
  async function insertAddress(
    trx: Transaction<CustomerDatabase>,
    customerId: string,
    input: AddressInput,
    correlationId: string,
  ): Promise<AddressView> {
    const { count } = await trx
      .selectFrom("addresses")
      .select((eb) => eb.fn.countAll<number>().as("count"))
      .where("customer_id", "=", customerId)
      .executeTakeFirstOrThrow();
    if (Number(count) >= MAX_ADDRESSES) {
      throw fail.unprocessable(`A customer may keep at most ${MAX_ADDRESSES} addresses; delete one first.`);
    }
    // The first address is the default whatever the request says; exactly one default per customer who has any.
    const isDefault = Number(count) === 0 || input.isDefault === true;
    if (isDefault) {
      await trx.updateTable("addresses").set({ is_default: 0 }).where("customer_id", "=", customerId).execute();
    }
    const addressId = ids.next("adr");
    const now = clock.now().toISOString();
    const row = {
      address_id: addressId,
      customer_id: customerId,
      label: input.label,
      is_default: isDefault ? 1 : 0,
      address: JSON.stringify(input.address),
      created_at: now,
      updated_at: now,
    };
    await trx.insertInto("addresses").values(row).execute();
    await outbox.publish(
      trx,
      "ecommerce.customer.address.added.v1",
      { customerId, addressId, label: input.label, isDefault, address: input.address, addedAt: now },
      { partitionKey: customerId, correlationId },
    );
    return toAddressView(row);
  }

  async function ownAddress(trx: Kysely<CustomerDatabase>, customerId: string, addressId: string) {
    const row = await trx
      .selectFrom("addresses")
      .selectAll()
      .where("address_id", "=", addressId)
      .where("customer_id", "=", customerId)
      .executeTakeFirst();
    if (!row) throw fail.notFound(`address ${addressId}`);
    return row;
  }

  return {
    insertAddress,

    /** One page of a customer's addresses: the default first, then the others newest first. */
    async list(customerId: string, page: { cursor?: string | undefined; limit: number }) {
      let query = db
        .selectFrom("addresses")
        .selectAll()
        .where("customer_id", "=", customerId)
        .orderBy("is_default", "desc")
        .orderBy("address_id", "desc")
        .limit(page.limit + 1);
      // The customer is the list's filter: another customer's cursor is refused, not read against this list.
      const filters = { customerId };
      const after = decodeQueryCursor(page.cursor, filters, isAddressPosition);
      if (after) {
        query = query.where((eb) =>
          eb.or([
            eb("is_default", "<", after.d),
            eb.and([eb("is_default", "=", after.d), eb("address_id", "<", after.id)]),
          ]),
        );
      }
      const result = pageOf(await query.execute(), {
        limit: page.limit,
        filters,
        positionOf: (row) => ({ d: row.is_default, id: row.address_id }),
      });
      return { ...result, items: result.items.map(toAddressView) };
    },

    /** Save a new address. */
    add(customerId: string, input: AddressInput, correlationId: string): Promise<AddressView> {
      return db.transaction().execute((trx) => insertAddress(trx, customerId, input, correlationId));
    },

    /** One of the customer's addresses. */
    async get(customerId: string, addressId: string): Promise<AddressView> {
      return toAddressView(await ownAddress(db, customerId, addressId));
    },

    /**
     * Replace an address. `isDefault: true` makes it the default; `isDefault: false` on the default is refused
     * (make another one the default instead); leaving `isDefault` out keeps the address's current standing.
     */
    replace(customerId: string, addressId: string, input: AddressInput): Promise<AddressView> {
      return db.transaction().execute(async (trx) => {
        const current = await ownAddress(trx, customerId, addressId);
        if (input.isDefault === false && current.is_default === 1) {
          throw fail.unprocessable(
            `Address ${addressId} is the default; make another address the default instead of unsetting it.`,
          );
        }
        const isDefault = input.isDefault === true || current.is_default === 1;
        if (isDefault && current.is_default === 0) {
          await trx.updateTable("addresses").set({ is_default: 0 }).where("customer_id", "=", customerId).execute();
        }
        const next = {
          ...current,
          label: input.label,
          is_default: isDefault ? 1 : 0,
          address: JSON.stringify(input.address),
          updated_at: clock.now().toISOString(),
        };
        await trx
          .updateTable("addresses")
          .set({ label: next.label, is_default: next.is_default, address: next.address, updated_at: next.updated_at })
          .where("address_id", "=", addressId)
          .execute();
        return toAddressView(next);
      });
    },

    /** Delete an address; when it was the default, the most recently saved remaining one becomes the default. */
    remove(customerId: string, addressId: string): Promise<void> {
      return db.transaction().execute(async (trx) => {
        const current = await ownAddress(trx, customerId, addressId);
        await trx.deleteFrom("addresses").where("address_id", "=", addressId).execute();
        if (current.is_default === 0) return;
        const successor = await trx
          .selectFrom("addresses")
          .select("address_id")
          .where("customer_id", "=", customerId)
          .orderBy("created_at", "desc")
          .orderBy("address_id", "desc")
          .limit(1)
          .executeTakeFirst();
        if (successor) {
          await trx
            .updateTable("addresses")
            .set({ is_default: 1, updated_at: clock.now().toISOString() })
            .where("address_id", "=", successor.address_id)
            .execute();
        }
      });
    },
  };
}

/** The address operations of the customer context. */
export type AddressBook = ReturnType<typeof createAddressBook>;
