import { createHmac, timingSafeEqual } from "node:crypto";
import { type Clock, type Ids, type Principal, ServiceError, type TokenService } from "@ecom/services/platform";

const base64url = (input: Buffer | string) => Buffer.from(input).toString("base64url");

/** How many tokens whose signature checked out are remembered (a customer sends the same token with each request). */
const VERIFIED_TOKENS = 1024;

/** What a token whose signature and claims checked out says: all that is left to check at each use. */
interface VerifiedClaims {
  readonly customerId: string;
  readonly role: "customer" | "admin";
  readonly typ: unknown;
  readonly exp: number;
  readonly tokenId: string;
}

/**
 * HS256 JSON Web Tokens (RFC 7519) signed with the data folder's secret. Claims: `sub` (customer id), `role`,
 * `typ` (access or refresh), `jti`, `iat`, `exp`; `exp` is checked against the platform clock, so advancing the
 * virtual clock expires tokens. The newest tokens whose signature checked out are remembered by their exact text, so
 * a customer's next request with the same token pays for no HMAC and no decoding: only expiry and type, which
 * depend on the clock and the caller, are checked at every use.
 */
export function createTokenService(secret: Buffer, clock: Clock, ids: Ids): TokenService {
  const sign = (data: string) => createHmac("sha256", secret).update(data).digest();
  const header = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const verified = new Map<string, VerifiedClaims>();
  const invalid = (why: string) =>
    new ServiceError("unauthenticated", `Invalid bearer token: ${why}. Log in again with POST /auth/login.`);
  return {
    issue(principal: Principal, options) {
      const now = Math.floor(clock.now().getTime() / 1000);
      const claims = {
        sub: principal.customerId,
        role: principal.role,
        typ: options.type ?? "access",
        jti: ids.next("jti"),
        iat: now,
        exp: now + options.expiresInSeconds,
      };
      const body = `${header}.${base64url(JSON.stringify(claims))}`;
      return `${body}.${base64url(sign(body))}`;
    },
    verify(token, options = {}) {
      const claims = verified.get(token) ?? remember(token, verifySignature(token));
      if (claims.exp * 1000 <= clock.now().getTime()) throw invalid("expired");
      if (options.type && claims.typ !== options.type) throw invalid(`not an ${options.type} token`);
      return {
        customerId: claims.customerId,
        role: claims.role,
        expiresAt: new Date(claims.exp * 1000),
        tokenId: claims.tokenId,
      };
    },
  };

  /** The claims of a token signed with the secret, or why it is refused (whatever the clock says). */
  function verifySignature(token: string): VerifiedClaims {
    const parts = token.split(".");
    if (parts.length !== 3) throw invalid("not a JWT");
    const [head, payload, signature] = parts as [string, string, string];
    const expected = sign(`${head}.${payload}`);
    const given = Buffer.from(signature, "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid("bad signature");
    let claims: { sub?: unknown; role?: unknown; typ?: unknown; exp?: unknown; jti?: unknown; alg?: unknown };
    try {
      if ((JSON.parse(Buffer.from(head, "base64url").toString()) as { alg?: unknown }).alg !== "HS256")
        throw invalid("not HS256");
      claims = JSON.parse(Buffer.from(payload, "base64url").toString());
    } catch (error) {
      if (error instanceof ServiceError) throw error;
      throw invalid("unreadable claims");
    }
    // A service token (cluster/service-token.ts) is never a customer's, whatever key signed it.
    if (claims.typ === "service") throw invalid("a service token is not a customer token");
    if (
      typeof claims.sub !== "string" ||
      (claims.role !== "customer" && claims.role !== "admin") ||
      typeof claims.exp !== "number"
    ) {
      throw invalid("missing claims");
    }
    return {
      customerId: claims.sub,
      role: claims.role,
      typ: claims.typ,
      exp: claims.exp,
      tokenId: String(claims.jti ?? ""),
    };
  }

  function remember(token: string, claims: VerifiedClaims): VerifiedClaims {
    verified.set(token, claims);
    if (verified.size > VERIFIED_TOKENS) {
      // A Map iterates in insertion order: the first key is the oldest remembered.
      for (const oldest of verified.keys()) {
        verified.delete(oldest);
        break;
      }
    }
    return claims;
  }
}
