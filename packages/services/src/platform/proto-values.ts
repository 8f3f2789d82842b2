import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { commonV1 } from "@ecom/sdk/rpc";
import type { AddressFields } from "./address-tuple.js";
import { fail } from "./service-error.js";

/**
 * The contract JSON's values as their proto messages, for RPCs that answer with what a REST operation answered
 * (common.proto: Money carries `amount_minor`, times are Timestamps).
 */

/** A contract Money (`{ amount, currency }`) as the proto Money. */
export function protoMoneyOf(money: { readonly amount: number; readonly currency: string }): commonV1.Money {
  return create(commonV1.MoneySchema, { amountMinor: BigInt(money.amount), currency: money.currency });
}

/** A contract timestamp (RFC 3339) as a proto Timestamp. */
export function protoTimeOf(value: string): Timestamp {
  return timestampFromDate(new Date(value));
}

/** An optional contract timestamp as an optional proto Timestamp. */
export function protoTimeIfAny(value: string | undefined): Timestamp | undefined {
  return value === undefined ? undefined : protoTimeOf(value);
}

/** A contract Address as the proto Address (absent optional lines become empty strings, as proto3 has them). */
export function protoAddressOf(address: AddressFields): commonV1.Address {
  return create(commonV1.AddressSchema, {
    name: address.name,
    line1: address.line1,
    line2: address.line2 ?? "",
    city: address.city,
    region: address.region ?? "",
    postalCode: address.postalCode,
    country: address.country,
    phone: address.phone ?? "",
  });
}

/**
 * The contract names of proto enum values, from a table of name → value: `nameOf(value)` is the name, or a
 * `validation` ServiceError naming `field` for UNSPECIFIED and unknown numbers (a request that must say which).
 */
export function enumNames<TName extends string, TValue extends number>(table: Readonly<Record<TName, TValue>>) {
  // Object.keys types its result as string[]; the keys of a Record<TName, …> are TNames.
  const names = new Map((Object.keys(table) as TName[]).map((name) => [table[name], name]));
  return (value: TValue, field: string): TName => {
    const name = names.get(value);
    if (name === undefined) throw fail.validation(`/${field}`, `must be one of ${[...names.values()].join(", ")}`);
    return name;
  };
}

/** A Timestamp as the contract's RFC 3339 string. */
export function contractTimeOf(value: Timestamp): string {
  return timestampDate(value).toISOString();
}

/**
 * `{ [key]: value }`, or nothing for proto3's zero value (an empty string, 0): a field the caller left out, which
 * the REST body then leaves out too, so the contract's defaults and required checks apply to RPCs as well.
 */
export function ifGiven<TKey extends string, TValue extends string | number>(
  key: TKey,
  value: TValue,
): Partial<Record<TKey, TValue>> {
  // A computed key types as an index signature; with one key it is exactly Record<TKey, TValue>.
  return value === "" || value === 0 ? {} : ({ [key]: value } as Record<TKey, TValue>);
}
