import { describe, expect, it } from "vitest";
import { hashPassword, verifyAgainstDecoy, verifyPassword } from "./password-hash.js";

describe("password hashing", () => {
  it("verifies the password it hashed and refuses any other", async () => {
    const hash = await hashPassword("correct-horse-battery-staple");
    expect(await verifyPassword("correct-horse-battery-staple", hash)).toBe(true);
    expect(await verifyPassword("correct-horse-battery-stapler", hash)).toBe(false);
  });

  it("salts every hash, so one password hashes differently twice and neither contains it", async () => {
    const [first, second] = await Promise.all([hashPassword("same-password"), hashPassword("same-password")]);
    expect(first).not.toBe(second);
    expect(first).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(first).not.toContain("same-password");
  });

  it.each([
    ["an empty string", ""],
    ["another algorithm", "bcrypt$10$abc$def$ghi$jkl"],
    ["non-numeric parameters", "scrypt$x$8$1$c2FsdA$a2V5"],
    ["a missing key", "scrypt$16384$8$1$c2FsdA$"],
  ])("answers false for a malformed hash: %s", async (_name, stored) => {
    expect(await verifyPassword("whatever-password", stored)).toBe(false);
  });

  it("answers false against the decoy used for unknown emails", async () => {
    expect(await verifyAgainstDecoy("anything-at-all")).toBe(false);
  });
});
