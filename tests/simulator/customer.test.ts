import { type Client, Code, ConnectError } from "@connectrpc/connect";
import { createClient } from "@ecom/sdk";
import { customerV1 } from "@ecom/sdk/rpc";
import { createPlatform, type Platform } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerContext, DEV_ADMIN, DEV_CUSTOMER } from "../../packages/services/src/customer/index.js";

const quiet = {
  info() {},
  warn() {},
  error: (message: string, fields?: Record<string, unknown>) => console.error(message, fields),
};

let platform: Platform;
beforeAll(async () => {
  platform = await createPlatform({ contexts: [customerContext], memory: true, seed: 1, log: quiet });
});
afterAll(async () => {
  await platform.close();
});

const client = (token?: string) =>
  createClient({
    baseUrl: "http://ecom.test",
    fetch: platform.fetch,
    retry: { maxAttempts: 1 },
    ...(token === undefined ? {} : { token }),
  });

let registered = 0;
/** Register a new customer through the API; answers its tokens and id. */
async function register(overrides: { password?: string } = {}) {
  registered += 1;
  const email = `reader${registered}@example.org`;
  const password = overrides.password ?? "correct-horse-battery-staple";
  const { data, response } = await client().customer.registerCustomer({
    body: { email, password, firstName: "Ada", lastName: "Lovelace" },
  });
  expect(response.status).toBe(201);
  return { email, password, ...data! };
}

const homeAddress = {
  label: "HOME" as const,
  isDefault: false,
  address: {
    name: "Ada Lovelace",
    line1: "12 St James's Square",
    city: "London",
    postalCode: "SW1Y 4JH",
    country: "GB",
  },
};

async function eventsOfType(type: string) {
  await platform.settle();
  return (await platform.eventLog.read({ afterSeq: 0, types: [type], limit: 10_000 })).map(
    (event) => JSON.parse(event.envelope) as { payload: Record<string, unknown>; correlationId: string },
  );
}

describe("registration and login", () => {
  it("registers, logs in and reads the profile, never returning or publishing the password", async () => {
    const { data, response } = await client().customer.registerCustomer({
      body: {
        email: "Grace.Hopper@Example.org",
        password: "cobol-is-forever-1959",
        firstName: "Grace",
        lastName: "Hopper",
        preferences: { currency: "USD", marketing: { email: true } },
      },
      headers: { "Correlation-Id": "register-grace" },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe("/customers/me");
    expect(data!.customer).toMatchObject({
      email: "grace.hopper@example.org",
      role: "customer",
      membershipLevel: "STANDARD",
      preferences: { language: "en", currency: "USD", marketing: { email: true, sms: false } },
    });
    expect(JSON.stringify(data)).not.toContain("cobol-is-forever-1959");

    const login = await client().customer.login({
      body: { email: "grace.hopper@example.org", password: "cobol-is-forever-1959" },
    });
    expect(login.response.status).toBe(200);
    expect(login.data).toMatchObject({
      tokenType: "Bearer",
      expiresIn: 900,
      refreshExpiresIn: 2_592_000,
      role: "customer",
    });
    expect(login.data!.refreshToken).toMatch(/^rt_[A-Za-z0-9_-]{32,128}$/);

    const profile = await client(login.data!.accessToken).customer.getMyProfile();
    expect(profile.data).toEqual(data!.customer);

    const registeredEvents = await eventsOfType("ecommerce.customer.customer.registered.v1");
    const grace = registeredEvents.find((event) => event.payload.customerId === data!.customer.customerId);
    expect(grace).toMatchObject({ correlationId: "register-grace", payload: { email: "grace.hopper@example.org" } });
    expect(JSON.stringify(registeredEvents)).not.toMatch(/cobol-is-forever|scrypt/);
  });

  it("refuses an email that is already registered, in any case, with 409", async () => {
    const { email } = await register();
    const again = await client().customer.registerCustomer({
      body: { email: email.toUpperCase(), password: "another-password", firstName: "Ada", lastName: "Again" },
    });
    expect(again.response.status).toBe(409);
    expect(again.error).toMatchObject({ type: "https://ecom.dev/problems/email_taken", code: "email_taken" });
  });

  it("answers a wrong password and an unknown email with the same 401, and publishes nothing", async () => {
    const { email } = await register();
    await platform.settle();
    const before = await platform.eventLog.lastSeq();
    const wrong = await client().customer.login({ body: { email, password: "not-the-password" } });
    const unknown = await client().customer.login({
      body: { email: "nobody@example.org", password: "not-the-password" },
    });
    expect(wrong.response.status).toBe(401);
    expect(unknown.response.status).toBe(401);
    expect(wrong.error?.detail).toBe(unknown.error?.detail);
    expect(wrong.error?.code).toBe("invalid_credentials");
    await platform.settle();
    expect(await platform.eventLog.lastSeq()).toBe(before);
  });

  it("locks an account for 15 minutes after 5 failed logins", async () => {
    const { email, password } = await register();
    for (let attempt = 0; attempt < 5; attempt++) {
      expect((await client().customer.login({ body: { email, password: "wrong-password" } })).response.status).toBe(
        401,
      );
    }
    const locked = await client().customer.login({ body: { email, password } });
    expect(locked.response.status).toBe(429);
    expect(Number(locked.response.headers.get("retry-after"))).toBeGreaterThan(0);
    await platform.advanceClock(15 * 60_000);
    expect((await client().customer.login({ body: { email, password } })).response.status).toBe(200);
  });

  it("signs the seeded admin and demo customer in with their dev credentials", async () => {
    const admin = await client().customer.login({ body: { email: DEV_ADMIN.email, password: DEV_ADMIN.password } });
    expect(admin.data?.role).toBe("admin");
    const demo = await client().customer.login({
      body: { email: DEV_CUSTOMER.email, password: DEV_CUSTOMER.password },
    });
    expect(demo.data?.role).toBe("customer");
    const book = await client(demo.data!.accessToken).customer.listMyAddresses();
    expect(book.data?.items).toHaveLength(1);
    expect(book.data?.items[0]).toMatchObject({ isDefault: true, address: { country: "GB" } });
  });
});

describe("sessions", () => {
  it("rotates refresh tokens: each is good once, and reusing one ends the session", async () => {
    const { tokens } = await register();
    const first = await client().customer.refreshTokens({ body: { refreshToken: tokens.refreshToken } });
    expect(first.response.status).toBe(200);
    expect(first.data!.refreshToken).not.toBe(tokens.refreshToken);

    const reused = await client().customer.refreshTokens({ body: { refreshToken: tokens.refreshToken } });
    expect(reused.response.status).toBe(401);
    // The reuse revoked the session, so even the legitimate successor is refused now.
    const successor = await client().customer.refreshTokens({ body: { refreshToken: first.data!.refreshToken } });
    expect(successor.response.status).toBe(401);
  });

  it("refuses a refresh token once 30 days have passed", async () => {
    const { tokens } = await register();
    await platform.advanceClock(30 * 24 * 60 * 60_000);
    const expired = await client().customer.refreshTokens({ body: { refreshToken: tokens.refreshToken } });
    expect(expired.response.status).toBe(401);
  });

  it("expires access tokens after 15 minutes", async () => {
    const { tokens } = await register();
    await platform.advanceClock(15 * 60_000);
    expect((await client(tokens.accessToken).customer.getMyProfile()).response.status).toBe(401);
  });

  it("logs out: the session's refresh token stops working, other sessions go on until told to end too", async () => {
    const { email, password, tokens } = await register();
    const other = (await client().customer.login({ body: { email, password } })).data!;
    const third = (await client().customer.login({ body: { email, password } })).data!;

    expect((await client(tokens.accessToken).customer.logout()).response.status).toBe(204);
    expect((await client(tokens.accessToken).customer.logout()).response.status).toBe(204);
    expect(
      (await client().customer.refreshTokens({ body: { refreshToken: tokens.refreshToken } })).response.status,
    ).toBe(401);
    const stillIn = await client().customer.refreshTokens({ body: { refreshToken: other.refreshToken } });
    expect(stillIn.response.status).toBe(200);

    await client(third.accessToken).customer.logout({ body: { allSessions: true } });
    expect(
      (await client().customer.refreshTokens({ body: { refreshToken: stillIn.data!.refreshToken } })).response.status,
    ).toBe(401);
  });

  it.each([
    ["logout", (api: ReturnType<typeof client>) => api.customer.logout()],
    ["updateMyProfile", (api: ReturnType<typeof client>) => api.customer.updateMyProfile({ body: { firstName: "X" } })],
    ["addMyAddress", (api: ReturnType<typeof client>) => api.customer.addMyAddress({ body: homeAddress })],
    ["getMyProfile", (api: ReturnType<typeof client>) => api.customer.getMyProfile()],
  ])("answers %s without a token with 401", async (_name, call) => {
    expect((await call(client())).response.status).toBe(401);
  });
});

describe("the profile", () => {
  it("merge-patches the profile and publishes the changed fields; a patch that changes nothing publishes nothing", async () => {
    const { tokens, customer } = await register();
    const api = client(tokens.accessToken).customer;
    const patched = await api.updateMyProfile({
      body: { phone: "+442079460001", preferences: { marketing: { sms: true } } },
    });
    expect(patched.data).toMatchObject({
      firstName: "Ada",
      phone: "+442079460001",
      preferences: { language: "en", marketing: { email: false, sms: true } },
    });
    await api.updateMyProfile({ body: { firstName: "Ada" } });
    const updates = (await eventsOfType("ecommerce.customer.customer.profile_updated.v1")).filter(
      (event) => event.payload.customerId === customer.customerId,
    );
    expect(updates.map((event) => event.payload.changedFields)).toEqual([["phone", "preferences.marketing"]]);
  });

  it("lets only an admin read another customer's profile", async () => {
    const { tokens, customer } = await register();
    const admin = (await client().customer.login({ body: { email: DEV_ADMIN.email, password: DEV_ADMIN.password } }))
      .data!;
    const asCustomer = await client(tokens.accessToken).customer.getCustomerById({
      params: { path: { customerId: admin.customerId } },
    });
    expect(asCustomer.response.status).toBe(403);
    const asAdmin = await client(admin.accessToken).customer.getCustomerById({
      params: { path: { customerId: customer.customerId } },
    });
    expect(asAdmin.data).toMatchObject({ customerId: customer.customerId, email: customer.email });
  });
});

describe("the address book", () => {
  it("makes the first address the default, moves the default on request and after deleting it, and publishes address.added", async () => {
    const { tokens, customer } = await register();
    const api = client(tokens.accessToken).customer;
    const first = await api.addMyAddress({ body: { ...homeAddress, isDefault: false } });
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get("location")).toBe(`/customers/me/addresses/${first.data!.addressId}`);
    expect(first.data!.isDefault).toBe(true);
    const work = await api.addMyAddress({ body: { ...homeAddress, label: "WORK", isDefault: true } });
    const other = await api.addMyAddress({ body: { ...homeAddress, label: "OTHER" } });

    const listed = await api.listMyAddresses({ params: { query: { limit: 2 } } });
    expect(listed.data!.items.map((item) => item.label)).toEqual(["WORK", "OTHER"]);
    const rest = await api.listMyAddresses({ params: { query: { limit: 2, cursor: listed.data!.page.nextCursor! } } });
    expect(rest.data!.items.map((item) => item.label)).toEqual(["HOME"]);
    expect(rest.data!.page.nextCursor).toBeUndefined();

    const unset = await api.replaceMyAddress({
      params: { path: { addressId: work.data!.addressId } },
      body: { ...homeAddress, isDefault: false },
    });
    expect(unset.response.status).toBe(422);

    await api.deleteMyAddress({ params: { path: { addressId: work.data!.addressId } } });
    const afterDelete = await api.getMyAddress({ params: { path: { addressId: other.data!.addressId } } });
    expect(afterDelete.data!.isDefault).toBe(true);

    const added = (await eventsOfType("ecommerce.customer.address.added.v1")).filter(
      (event) => event.payload.customerId === customer.customerId,
    );
    expect(added.map((event) => [event.payload.label, event.payload.isDefault])).toEqual([
      ["HOME", true],
      ["WORK", true],
      ["OTHER", false],
    ]);
  });

  it("answers 404 to a customer reaching for another customer's address, and changes nothing", async () => {
    const owner = await register();
    const intruder = await register();
    const saved = await client(owner.tokens.accessToken).customer.addMyAddress({ body: homeAddress });
    const params = { path: { addressId: saved.data!.addressId } };
    const api = client(intruder.tokens.accessToken).customer;
    expect((await api.getMyAddress({ params })).response.status).toBe(404);
    expect((await api.replaceMyAddress({ params, body: { ...homeAddress, label: "WORK" } })).response.status).toBe(404);
    expect((await api.deleteMyAddress({ params })).response.status).toBe(404);
    const mine = await client(owner.tokens.accessToken).customer.getMyAddress({ params });
    expect(mine.data).toEqual(saved.data);
  });

  it("answers a body with several faults with one 400 problem listing every fault with its pointer, and saves nothing", async () => {
    const owner = await register();
    const api = client(owner.tokens.accessToken).customer;
    const { error, response } = await api.addMyAddress({
      // A bad enum, a wrong type, a property the contract lacks, and `address` missing.
      body: { label: "MANSION", isDefault: "yes", nickname: "home sweet home" } as never,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toContain("application/problem+json");
    expect(error).toMatchObject({ code: "validation", status: 400 });
    const errors = (error as { errors: { pointer: string; message: string }[] }).errors;
    expect(errors).toHaveLength(4);
    expect(errors).toEqual(
      expect.arrayContaining([
        { pointer: "/body/address", message: "is required" },
        { pointer: "/body/nickname", message: expect.stringContaining("is not a property the contract defines") },
        { pointer: "/body/label", message: 'must be one of "HOME", "WORK", "OTHER"' },
        { pointer: "/body/isDefault", message: "must be boolean" },
      ]),
    );
    expect((await api.listMyAddresses({})).data?.items).toEqual([]);
  });

  it("refuses a 21st address with 422", async () => {
    const { tokens } = await register();
    const api = client(tokens.accessToken).customer;
    for (let index = 0; index < 20; index++) {
      expect((await api.addMyAddress({ body: homeAddress })).response.status).toBe(201);
    }
    expect((await api.addMyAddress({ body: homeAddress })).response.status).toBe(422);
  });
});

describe("CustomerService", () => {
  let rpc: Client<typeof customerV1.CustomerService>;
  beforeAll(() => {
    rpc = platform.rpc.customer;
  });

  it("answers GetCustomer with the profile, and not_found for an unknown id", async () => {
    const { customer } = await register();
    const { customer: found } = await rpc.getCustomer({ customerId: customer.customerId });
    expect(found).toMatchObject({
      id: customer.customerId,
      email: customer.email,
      firstName: "Ada",
      membershipLevel: customerV1.MembershipLevel.STANDARD,
      preferences: { language: "en", currency: "USD" },
    });
    const missing = await rpc
      .getCustomer({ customerId: "cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E" })
      .catch((error: unknown) => error);
    expect(ConnectError.from(missing).code).toBe(Code.NotFound);
    const malformed = await rpc.getCustomer({ customerId: "nobody" }).catch((error: unknown) => error);
    expect(ConnectError.from(malformed).code).toBe(Code.InvalidArgument);
  });

  it("answers GetAddress only for the customer who owns the address", async () => {
    const owner = await register();
    const other = await register();
    const saved = await client(owner.tokens.accessToken).customer.addMyAddress({ body: homeAddress });
    const addressId = saved.data!.addressId;
    const { address } = await rpc.getAddress({ customerId: owner.customer.customerId, addressId });
    expect(address).toMatchObject({ name: "Ada Lovelace", postalCode: "SW1Y 4JH", country: "GB", line2: "" });
    const foreign = await rpc
      .getAddress({ customerId: other.customer.customerId, addressId })
      .catch((error: unknown) => error);
    expect(ConnectError.from(foreign).code).toBe(Code.NotFound);
  });
});
