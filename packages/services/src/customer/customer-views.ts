import type { customerApi } from "@ecom/sdk";
import type { Selectable } from "kysely";
import type { EditableProfile } from "./profile-patch.js";
import type { AddressTable, CustomerTable } from "./store.js";

type Schemas = customerApi.components["schemas"];
/** The contract's Customer (a profile, never credentials). */
export type CustomerView = Schemas["Customer"];
/** The contract's CustomerAddress. */
export type AddressView = Schemas["CustomerAddress"];
/** The contract's postal Address. */
export type PostalAddress = Schemas["CustomerAddress"]["address"];

/** The editable part of a stored customer. */
export function toEditableProfile(row: Selectable<CustomerTable>): EditableProfile {
  return {
    firstName: row.first_name,
    lastName: row.last_name,
    ...(row.phone === null ? {} : { phone: row.phone }),
    preferences: {
      language: row.language,
      currency: row.currency,
      marketing: { email: row.marketing_email === 1, sms: row.marketing_sms === 1 },
    },
  };
}

/** A stored customer as the contract's Customer. */
export function toCustomerView(row: Selectable<CustomerTable>): CustomerView {
  return {
    customerId: row.customer_id,
    email: row.email,
    ...toEditableProfile(row),
    role: row.role,
    membershipLevel: row.membership_level,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A stored address as the contract's CustomerAddress. */
export function toAddressView(row: Selectable<AddressTable>): AddressView {
  return {
    addressId: row.address_id,
    label: row.label,
    isDefault: row.is_default === 1,
    address: JSON.parse(row.address) as PostalAddress,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
