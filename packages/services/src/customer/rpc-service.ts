import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { customerV1 } from "@ecom/sdk/rpc";
import { type ContextRuntime, compileQuery, type Param, ServiceError } from "../platform/index.js";
import type { PostalAddress } from "./customer-views.js";
import type { CustomerDatabase, CustomerTable } from "./store.js";

const CUSTOMER_ID = /^cus_[0-9A-HJKMNP-TV-Z]{26}$/;
const ADDRESS_ID = /^adr_[0-9A-HJKMNP-TV-Z]{26}$/;

const MEMBERSHIP: Readonly<Record<CustomerTable["membership_level"], customerV1.MembershipLevel>> = {
  STANDARD: customerV1.MembershipLevel.STANDARD,
  SILVER: customerV1.MembershipLevel.SILVER,
  GOLD: customerV1.MembershipLevel.GOLD,
  PLATINUM: customerV1.MembershipLevel.PLATINUM,
};

function checkId(value: string, pattern: RegExp, field: string): void {
  if (!pattern.test(value)) throw new ServiceError("validation", `${field} must be a ${pattern.source} id`);
}

/**
 * CustomerService: read-only look-ups of customer facts for other contexts. Both methods are `internal`
 * (contexts.yaml rpcAccess): only the platform's own contexts reach them, after verifying their own request's token
 * at their REST edge, and they pass the customer id on.
 */
export function registerCustomerService(router: ConnectRouter, runtime: ContextRuntime<CustomerDatabase>): void {
  const { db } = runtime;
  // Each checkout asks for its shipping address and its customer (the confirmation e-mail): both statements built
  // and compiled once (compileQuery), the customer's with the columns the proto Customer shows only.
  const customerById = compileQuery((param: Param<{ customerId: string }>) =>
    db
      .selectFrom("customers")
      .select([
        "customer_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "membership_level",
        "language",
        "currency",
        "marketing_email",
        "marketing_sms",
        "created_at",
      ])
      .where("customer_id", "=", param("customerId")),
  );
  const addressOf = compileQuery((param: Param<{ customerId: string; addressId: string }>) =>
    db
      .selectFrom("addresses")
      .select("address")
      .where("address_id", "=", param("addressId"))
      .where("customer_id", "=", param("customerId")),
  );
  router.service(customerV1.CustomerService, {
    async getCustomer(request) {
      checkId(request.customerId, CUSTOMER_ID, "customer_id");
      const row = await customerById.executeTakeFirst(db, { customerId: request.customerId });
      if (!row) throw new ServiceError("not_found", `no customer ${request.customerId}`);
      return create(customerV1.GetCustomerResponseSchema, {
        customer: {
          id: row.customer_id,
          email: row.email,
          firstName: row.first_name,
          lastName: row.last_name,
          phone: row.phone ?? "",
          membershipLevel: MEMBERSHIP[row.membership_level],
          preferences: {
            language: row.language,
            currency: row.currency,
            marketing: { email: row.marketing_email === 1, sms: row.marketing_sms === 1 },
          },
          createdAt: timestampFromDate(new Date(row.created_at)),
        },
      });
    },

    async getAddress(request) {
      checkId(request.customerId, CUSTOMER_ID, "customer_id");
      checkId(request.addressId, ADDRESS_ID, "address_id");
      // Scoped to the customer: another customer's address is not_found, exactly like a missing one.
      const row = await addressOf.executeTakeFirst(db, {
        customerId: request.customerId,
        addressId: request.addressId,
      });
      if (!row) {
        throw new ServiceError("not_found", `no address ${request.addressId} of customer ${request.customerId}`);
      }
      const address = JSON.parse(row.address) as PostalAddress;
      return create(customerV1.GetAddressResponseSchema, {
        address: {
          name: address.name,
          line1: address.line1,
          line2: address.line2 ?? "",
          city: address.city,
          region: address.region ?? "",
          postalCode: address.postalCode,
          country: address.country,
          phone: address.phone ?? "",
        },
      });
    },
  });
}
