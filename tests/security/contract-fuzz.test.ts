import { restContexts } from "@ecom/sdk/contracts";
import type { GatewayRequest } from "@ecom/simulator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SecurityKit, startKit } from "./security-kit.js";

// Contract-derived fuzz: for every operation of contracts/openapi, requests built from its contract (its path and
// query parameters, its example body) and then broken (wrong JSON types, unknown properties, numbers JSON cannot
// hold, bodies that are not JSON or not declared as JSON, odd Unicode and path tricks in parameters). Each must be
// answered 4xx with a problem+json whose `status` is the response's, never 5xx, and change nothing: no event is
// logged, and the hash of every store and the log is the same after each operation's cases. FUZZ_SEED picks the
// random choices, and a failure names the seed and the case, so it can be replayed.

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101);

/** mulberry32: a small seeded generator, so a failing case comes back with the same seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const random = seededRandom(SEED);
const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;

const ODD_STRINGS = [
  "\u0000",
  "\ud800",
  "\u202e\u0041",
  "😀".repeat(50),
  "a".repeat(5_000),
  "' OR 1=1 --",
  "<script>alert(1)</script>",
  "%00",
  "..%2f..%2f",
];
const ID_PREFIXES: Readonly<Record<string, string>> = {
  cartId: "crt",
  itemId: "itm",
  orderId: "ord",
  productId: "prd",
  categoryId: "cat",
  authorId: "aut",
  publisherId: "pub",
  addressId: "adr",
  customerId: "cus",
  paymentId: "pay",
  checkoutId: "chk",
  reservationId: "rsv",
  promotionId: "prm",
  couponId: "cpn",
  flashSaleId: "fls",
  shipmentId: "shp",
  returnId: "ret",
  reviewId: "rev",
  notificationId: "ntf",
  subscriptionId: "whs",
  deliveryId: "whd",
};
/** An id of the right shape that names nothing (so a case that passes validation still finds nothing to change). */
const absentId = (name: string) => `${ID_PREFIXES[name] ?? "x"}_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A`;

/** Percent-encode `value`; a lone surrogate (which encodeURIComponent refuses) becomes the bytes a client might send. */
function encode(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return "%ED%A0%80";
  }
}

/** A JSON value of another type than `value`. */
function wrongType(value: unknown): unknown {
  if (typeof value === "string") return pick([12_345, true, [], {}]);
  if (typeof value === "number") return pick(["12", true, [], {}]);
  if (typeof value === "boolean") return pick(["true", 1, []]);
  if (Array.isArray(value)) return pick(["[]", 1, {}]);
  if (value !== null && typeof value === "object") return pick(["{}", 1, [], true]);
  return pick([{}, []]);
}

interface Case {
  readonly name: string;
  readonly request: GatewayRequest;
}

const operations = Object.entries(restContexts).flatMap(([context, binding]) =>
  binding.operations
    // WebSocket operations answer a plain request 426 without looking at it; the authorization matrix covers them.
    .filter((operation) => !operation.responses.some((response) => response.status === "101"))
    .map((operation) => ({ context, operation })),
);

type Operation = (typeof operations)[number]["operation"];

/** The broken requests of one operation. */
function casesOf(operation: Operation, authorization: string): Case[] {
  const pathParameters = operation.parameters.filter((parameter) => parameter.in === "path");
  const pathWith = (values: Record<string, string>) =>
    operation.path.replace(/\{([^}]+)\}/g, (_whole, name: string) => values[name] ?? absentId(name));
  const path = pathWith({});
  const example = operation.requestBody?.example;
  const hasBody = operation.requestBody !== undefined;
  const send = (name: string, url: string, body: string, contentType: string | null = "application/json"): Case => ({
    name,
    request: {
      method: operation.method,
      url,
      headers: { authorization, ...(contentType === null || body === "" ? {} : { "content-type": contentType }) },
      body,
    },
  });
  const validBody = hasBody ? JSON.stringify(example ?? {}) : "";
  const cases: Case[] = [];

  for (const parameter of pathParameters) {
    for (const value of [pick(ODD_STRINGS), "%2e%2e", "a%2Fb", "", pick(["\u00e9t\u00e9", "x".repeat(300)])]) {
      cases.push(
        send(
          `path ${parameter.name}=${JSON.stringify(value).slice(0, 40)}`,
          pathWith({ [parameter.name]: encode(value).replaceAll("%252", "%2") }),
          validBody,
        ),
      );
    }
  }
  if (operation.parameters.some((parameter) => parameter.in === "query" && parameter.name === "limit")) {
    for (const limit of ["abc", "-1", "0", "1e400", "100000"])
      cases.push(send(`query limit=${limit}`, `${path}?limit=${limit}`, ""));
  }
  if (operation.parameters.some((parameter) => parameter.in === "query" && parameter.name === "cursor")) {
    cases.push(send("query cursor that no list made", `${path}?cursor=${encode(pick(ODD_STRINGS))}`, ""));
  }

  if (hasBody) {
    cases.push(send("body that is not JSON", path, "{not json"));
    cases.push(send("body sent as text/plain", path, validBody, "text/plain"));
    cases.push(send("body without a Content-Type", path, validBody, null));
    for (const whole of ["[]", '"text"', "42", "null"]) cases.push(send(`body ${whole}`, path, whole));
    if (example !== null && typeof example === "object" && !Array.isArray(example)) {
      const record = example as Record<string, unknown>;
      cases.push(send("body with an unknown property", path, JSON.stringify({ ...record, fuzzUnknownProperty: 1 })));
      for (const [key, value] of Object.entries(record)) {
        cases.push(send(`body ${key} of the wrong type`, path, JSON.stringify({ ...record, [key]: wrongType(value) })));
        if (typeof value === "number")
          cases.push(
            send(`body ${key} = 1e400`, path, JSON.stringify(record).replace(`"${key}":${value}`, `"${key}":1e400`)),
          );
      }
    }
  }
  return cases;
}

let kit: SecurityKit;
let authorization: string;
beforeAll(async () => {
  kit = await startKit();
  authorization = `Bearer ${kit.token("cus_01JH8Z1A2B3C4D5E6F7G8H9J0K", "admin")}`;
});
afterAll(async () => {
  await kit.close();
});

describe(`contract fuzz (FUZZ_SEED=${SEED}): broken requests are 4xx problems and change nothing`, () => {
  it.each(operations)("$context $operation.operationId", async ({ operation }) => {
    const before = await kit.stateHash();
    const lastSeq = await kit.platform.eventLog.lastSeq();
    for (const { name, request } of casesOf(operation, authorization)) {
      const response = await kit.platform.handle(request);
      const body = response.body === "" ? undefined : (JSON.parse(response.body) as { status?: number; code?: string });
      // Operations other contexts have not implemented yet answer a request that passed validation with 501.
      if (response.status === 501 && body?.code === "not_implemented") continue;
      const seen = {
        case: name,
        status: response.status >= 400 && response.status < 500 ? "4xx" : response.status,
        problem: response.headers["content-type"],
        bodyStatus: body?.status,
      };
      expect(seen).toEqual({
        case: name,
        status: "4xx",
        problem: "application/problem+json",
        bodyStatus: response.status,
      });
      expect(await kit.platform.eventLog.lastSeq()).toBe(lastSeq);
    }
    expect(await kit.stateHash()).toBe(before);
  });
});
