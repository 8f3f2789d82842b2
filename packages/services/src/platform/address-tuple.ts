import type { customerApi } from "@ecom/sdk";

/**
 * A postal address (contracts/common/schemas.yaml#/Address) as a store keeps a snapshot of it: a JSON array of its
 * values in a fixed order, `[name, line1, city, postalCode, country, line2, region, phone]` with trailing absent
 * fields left out and others null, instead of an object that names each field (~45 of a ~95-byte address). Read
 * back, it is the object it was, its fields in the contract's order, which is how every snapshot is made; one that
 * would not read back exactly (another order of fields, a field of another kind) is kept as its JSON object, as every
 * snapshot written before is. Either form reads with {@link addressOf} or {@link addressText}.
 */

/**
 * A postal address snapshot: the contract's Address (contracts/common/schemas.yaml, the same in every context's
 * contract; customer, which keeps addresses, names it here), optional fields absent rather than empty.
 */
export type AddressFields = Readonly<customerApi.components["schemas"]["Address"]>;

/** An address as its tuple: the required fields, then the optional ones (null where absent, trailing ones left out). */
export type AddressTuple = [
  name: string,
  line1: string,
  city: string,
  postalCode: string,
  country: string,
  line2?: string | null,
  region?: string | null,
  phone?: string | null,
];

/** `address` as its tuple, or undefined when the tuple would not read back as exactly this object. */
export function addressTuple(address: AddressFields): AddressTuple | undefined {
  const tuple: AddressTuple = [
    address.name,
    address.line1,
    address.city,
    address.postalCode,
    address.country,
    address.line2 ?? null,
    address.region ?? null,
    address.phone ?? null,
  ];
  while (tuple.length > 5 && tuple.at(-1) === null) tuple.pop();
  return JSON.stringify(addressOfTuple(tuple)) === JSON.stringify(address) ? tuple : undefined;
}

/** The address a tuple stands for, its fields in the contract's order (as order-views.ts addressFromProto makes it). */
export function addressOfTuple(tuple: AddressTuple): AddressFields {
  const [name, line1, city, postalCode, country, line2, region, phone] = tuple;
  return {
    name,
    line1,
    ...(line2 === null || line2 === undefined ? {} : { line2 }),
    city,
    ...(region === null || region === undefined ? {} : { region }),
    postalCode,
    country,
    ...(phone === null || phone === undefined ? {} : { phone }),
  };
}

/** The text a store keeps of `address`: its tuple's JSON, or the object's where the tuple would not read back. */
export function keptAddress(address: AddressFields): string {
  const tuple = addressTuple(address);
  return JSON.stringify(tuple ?? address);
}

/** The address a store keeps as `kept` ({@link keptAddress}, or an object's JSON written before). */
export function addressOf(kept: string): AddressFields {
  const parsed = JSON.parse(kept) as AddressTuple | AddressFields;
  return Array.isArray(parsed) ? addressOfTuple(parsed) : parsed;
}

/** The address's JSON object text, as a snapshot was kept before tuples: what the canonical export shows. */
export function addressText(kept: string): string {
  return kept.startsWith("[") ? JSON.stringify(addressOf(kept)) : kept;
}
