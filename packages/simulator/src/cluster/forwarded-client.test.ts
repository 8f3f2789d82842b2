import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createClientAddress,
  FORWARDED_CLIENT_AUDIENCE,
  forwardedClientHeaders,
  GATEWAY_CALLER,
  GATEWAY_TOKEN_HEADER,
} from "./forwarded-client.js";
import { createServiceTokens } from "./service-token.js";

const key = randomBytes(32);
const platform = createServiceTokens({ key });
const gatewayToken = platform.tokenFor(GATEWAY_CALLER, FORWARDED_CLIENT_AUDIENCE);
const fromGateway = (headers: Record<string, string>) => ({ headers, socket: { remoteAddress: "10.0.0.1" } });

describe("the client address a process counts a request as", () => {
  const clientAddress = createClientAddress(platform);

  it("is the last X-Forwarded-For address when the gateway's token is valid (earlier ones are the client's word)", () => {
    const request = fromGateway({
      "x-forwarded-for": "203.0.113.9, 198.51.100.7",
      [GATEWAY_TOKEN_HEADER]: gatewayToken,
    });
    expect(clientAddress(request)).toBe("198.51.100.7");
  });

  it.each([
    ["no gateway token", {}],
    [
      "a token signed with another key",
      {
        [GATEWAY_TOKEN_HEADER]: createServiceTokens({ key: randomBytes(32) }).tokenFor(
          GATEWAY_CALLER,
          FORWARDED_CLIENT_AUDIENCE,
        ),
      },
    ],
    [
      "a context's service token (another caller and audience)",
      { [GATEWAY_TOKEN_HEADER]: platform.tokenFor("order", "inventory") },
    ],
    [
      "a token of the gateway's audience from another caller",
      { [GATEWAY_TOKEN_HEADER]: platform.tokenFor("order", FORWARDED_CLIENT_AUDIENCE) },
    ],
    [
      "an expired gateway token",
      {
        [GATEWAY_TOKEN_HEADER]: createServiceTokens({ key, now: () => Date.now() - 60 * 60 * 1000 }).tokenFor(
          GATEWAY_CALLER,
          FORWARDED_CLIENT_AUDIENCE,
        ),
      },
    ],
    ["garbage", { [GATEWAY_TOKEN_HEADER]: "not.a.token" }],
  ])("ignores X-Forwarded-For with %s: the socket's address", (_name, token) => {
    expect(clientAddress(fromGateway({ "x-forwarded-for": "198.51.100.7", ...token }))).toBe("10.0.0.1");
  });

  it("is the socket's address in a process no gateway fronts, whatever the request carries", () => {
    const request = fromGateway({ "x-forwarded-for": "198.51.100.7", [GATEWAY_TOKEN_HEADER]: gatewayToken });
    expect(createClientAddress(undefined)(request)).toBe("10.0.0.1");
  });

  it("is the socket's address when the gateway's token comes without an X-Forwarded-For", () => {
    expect(clientAddress(fromGateway({ [GATEWAY_TOKEN_HEADER]: gatewayToken }))).toBe("10.0.0.1");
  });
});

describe("the headers the gateway adds", () => {
  it("append the client's socket address to its X-Forwarded-For, with a token the processes take", () => {
    const headers = forwardedClientHeaders(platform, "203.0.113.9", "198.51.100.7");
    expect(headers["x-forwarded-for"]).toBe("203.0.113.9, 198.51.100.7");
    const request = { headers, socket: { remoteAddress: "127.0.0.1" } };
    expect(createClientAddress(platform)(request)).toBe("198.51.100.7");
  });

  it("vouch for nothing when the client's socket has no address (it closed)", () => {
    expect(forwardedClientHeaders(platform, "203.0.113.9", undefined)).toEqual({});
  });
});
