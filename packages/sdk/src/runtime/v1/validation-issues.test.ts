import { describe, expect, it } from "vitest";
import { validatePayload } from "../../events.js";
import { restContexts } from "../../gen/rest/index.js";
import { addMyAddress_body as addMyAddressBody } from "../../gen/validators/rest-customer.js";
import { validateRequest, validationProblem } from "./request-validation.js";
import type { CompiledValidator } from "./rest-operation.js";
import { contractIssues, MAX_LISTED_ISSUES } from "./validation-issues.js";

// Issue 12: a request with several faults is answered once, with every fault and a pointer to where its fix goes.

/** A saved address with four faults: a bad enum, a wrong type, a property the contract lacks, a required one missing. */
/** The generated validator, typed as the runtime sees it: a predicate that leaves its errors on itself. */
const addMyAddress_body: CompiledValidator = addMyAddressBody;

const fourFaults = { label: "MANSION", isDefault: "yes", nickname: "home sweet home" };
const fourIssues = [
  { pointer: "/body/address", message: "is required" },
  { pointer: "/body/nickname", message: expect.stringContaining("is not a property the contract defines") },
  { pointer: "/body/label", message: 'must be one of "HOME", "WORK", "OTHER"' },
  { pointer: "/body/isDefault", message: "must be boolean" },
];

const customer = await restContexts.customer!.loadValidators();
const addMyAddress = restContexts.customer!.operations.find((operation) => operation.operationId === "addMyAddress")!;
const parts = (body: unknown) => ({ path: {}, query: {}, header: {}, body });

describe("the generated validators with the shared formatter", () => {
  it("report every fault of a body at once, each with its JSON pointer", () => {
    expect(addMyAddress_body(fourFaults)).toBe(false);
    expect(contractIssues(addMyAddress_body.errors, "/body")).toEqual(expect.arrayContaining(fourIssues));
    const issues = validateRequest(customer, addMyAddress, parts(fourFaults));
    expect(issues).toHaveLength(4);
    expect(issues).toEqual(expect.arrayContaining(fourIssues));
  });

  it("answer one 400 problem listing them all", () => {
    const problem = validationProblem(addMyAddress, validateRequest(customer, addMyAddress, parts(fourFaults)));
    expect(problem).toMatchObject({ status: 400, code: "validation" });
    expect(problem.errors).toEqual(expect.arrayContaining(fourIssues));
    for (const pointer of ["/body/address", "/body/nickname", "/body/label", "/body/isDefault"])
      expect(problem.detail).toContain(pointer);
  });

  it("escape property names in pointers (RFC 6901)", () => {
    expect(addMyAddress_body({ ...fourFaults, "a/b~c": 1 })).toBe(false);
    expect(contractIssues(addMyAddress_body.errors).map((issue) => issue.pointer)).toContain("/a~1b~0c");
  });

  it("list at most MAX_LISTED_ISSUES of a body wrong everywhere, and say there were more", () => {
    const body: Record<string, unknown> = { label: "HOME", address: fourFaults };
    for (let index = 0; index < 5000; index++) body[`extra${index}`] = index;
    expect(addMyAddress_body(body)).toBe(false);
    expect(addMyAddress_body.errors!.length).toBeGreaterThan(5000);
    const issues = validateRequest(customer, addMyAddress, parts(body));
    expect(issues).toHaveLength(MAX_LISTED_ISSUES + 1);
    const problem = validationProblem(addMyAddress, issues);
    expect(problem.errors).toHaveLength(MAX_LISTED_ISSUES);
    expect(problem.detail).toContain(`and more problems not listed (an answer lists the first ${MAX_LISTED_ISSUES})`);
    expect(problem.detail.length).toBeLessThan(4000);
  });

  it("say nothing of more problems when every one is listed", () => {
    expect(
      validationProblem(addMyAddress, validateRequest(customer, addMyAddress, parts(fourFaults))).detail,
    ).not.toContain("not listed");
  });

  it("give event payloads the same pointers: a missing property named, an unknown one named", () => {
    const issues = validatePayload("ecommerce.customer.customer.registered.v1", { surprise: true } as never);
    expect(issues).toEqual(
      expect.arrayContaining([
        { pointer: "/customerId", message: "is required" },
        { pointer: "/surprise", message: expect.stringContaining("is not a property the contract defines") },
      ]),
    );
  });
});
