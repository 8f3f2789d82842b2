/**
 * The accounts a fresh store is seeded with, for local development only: `ecom sim up` prints tokens for them and
 * `ecom checkout` signs in as the demo customer. They exist in any data folder the simulator seeded, so never run a
 * seeded store where anyone but its developer can reach it.
 */

/** A development account's sign-in details. */
export interface DevAccount {
  readonly email: string;
  readonly password: string;
  readonly firstName: string;
  readonly lastName: string;
  readonly role: "customer" | "admin";
}

/** The seeded administrator (role `admin`). */
export const DEV_ADMIN: DevAccount = {
  email: "admin@ecom.dev",
  password: "admin-password",
  firstName: "Ada",
  lastName: "Admin",
  role: "admin",
};

/** The seeded demo customer (role `customer`), who has one default shipping address. */
export const DEV_CUSTOMER: DevAccount = {
  email: "demo@ecom.dev",
  password: "demo-password",
  firstName: "Dana",
  lastName: "Demo",
  role: "customer",
};

/** The demo customer's default shipping address (the contract's Address). */
export const DEV_CUSTOMER_ADDRESS = {
  name: "Dana Demo",
  line1: "221B Baker Street",
  city: "London",
  postalCode: "NW1 6XE",
  country: "GB",
} as const;
