import { describe, expect, it } from "vitest";
import { withoutCredentials } from "../options.js";
import { restCoverage } from "./sim-banner.js";

describe("the sim up banner's REST line", () => {
  it("says every context is served when each contract has a running context", () => {
    expect(restCoverage(["cart", "order"], ["order", "cart", "search"])).toBe(
      "contracts/openapi/*.yaml of every context: cart, order",
    );
  });

  it("names the contexts whose operations answer 501 when a contract has no running context", () => {
    expect(restCoverage(["cart", "notification", "order"], ["cart", "order"])).toBe(
      "contracts/openapi/*.yaml of cart, order; the operations of notification answer 501",
    );
  });
});

describe("the sim up banner's OTLP endpoint", () => {
  it("never prints a user or password the endpoint URL carries", () => {
    expect(withoutCredentials("https://ingest:s3cret@collector.example:4318/")).toBe("https://collector.example:4318/");
    expect(withoutCredentials("http://localhost:4318")).toBe("http://localhost:4318");
  });

  it("hides the credentials of --store and --bus in messages too, even in a URL that does not parse", () => {
    expect(withoutCredentials("nats://s3cret-token@127.0.0.1:4222")).toBe("nats://127.0.0.1:4222");
    expect(withoutCredentials("postgres://app:s3cret@db:bad-port/shop")).toBe("postgres://db:bad-port/shop");
    for (const password of ["s3cr#t", "s3/cret", "s3cr?t", "s3c@ret"])
      expect(withoutCredentials(`postgres://app:${password}@db/shop`)).toBe("postgres://db/shop");
  });
});
