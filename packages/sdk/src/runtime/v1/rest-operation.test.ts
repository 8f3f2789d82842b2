import { describe, expect, it } from "vitest";
import { restContexts } from "../../gen/rest/index.js";
import { lazyRestContext } from "./rest-operation.js";

const bodies = { ping_body: () => true };
const parameters = { ping_params: () => true };

describe("lazyRestContext", () => {
  it("loads no validators until asked, then loads them once for every caller", async () => {
    let loads = 0;
    const binding = lazyRestContext([], async () => {
      loads++;
      return [bodies, parameters];
    });
    expect(loads).toBe(0);
    expect(binding.validators).toBeUndefined();
    const [first, second] = await Promise.all([binding.loadValidators(), binding.loadValidators()]);
    expect(first).toBe(second);
    expect(await binding.loadValidators()).toBe(first);
    expect(loads).toBe(1);
    expect(binding.validators).toBe(first);
    expect(first).toEqual({ bodyValidators: bodies, parameterValidators: parameters });
  });

  it("tries a failed load again on the next call instead of failing forever", async () => {
    let loads = 0;
    const binding = lazyRestContext([], async () => {
      loads++;
      if (loads === 1) throw new Error("disk hiccup");
      return [bodies, parameters];
    });
    await expect(binding.loadValidators()).rejects.toThrow("disk hiccup");
    expect(binding.validators).toBeUndefined();
    await expect(binding.loadValidators()).resolves.toEqual({
      bodyValidators: bodies,
      parameterValidators: parameters,
    });
    expect(loads).toBe(2);
  });
});

describe("the generated restContexts", () => {
  it("hold every context's operations with no validator loaded, and load a context's own on first use", async () => {
    expect(Object.values(restContexts).every((binding) => binding.validators === undefined)).toBe(true);
    const customer = await restContexts.customer!.loadValidators();
    expect(Object.keys(customer.bodyValidators)).toContain("addMyAddress_body");
    expect(Object.keys(customer.parameterValidators).every((name) => name.endsWith("_params"))).toBe(true);
    expect(restContexts.cart!.validators).toBeUndefined();
  });
});
