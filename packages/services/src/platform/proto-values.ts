import { create } from "@bufbuild/protobuf";
import { type Timestamp, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { commonV1 } from "@ecom/sdk/rpc";

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
export function protoAddressOf(address: {
  readonly name: string;
  readonly line1: string;
  readonly line2?: string;
  readonly city: string;
  readonly region?: string;
  readonly postalCode: string;
  readonly country: string;
  readonly phone?: string;
}): commonV1.Address {
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
