import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ContractSourceError, createDirectoryFiles } from "./contract-files.js";
import { loadContractSet, resolveRef } from "./contract-set.js";

async function folderWith(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ecom-contracts-"));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, ".."), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe("loadContractSet", () => {
  it("sorts files into the context map, OpenAPI, AsyncAPI, shared and proto", async () => {
    const root = await folderWith({
      "contexts.yaml": "version: 1\n",
      "openapi/cart.yaml": "openapi: 3.1.0\n",
      "asyncapi/cart.yaml": "asyncapi: 3.0.0\n",
      "common/schemas.yaml": "Money: { type: object }\n",
      "proto/ecom/cart/v1/cart.proto": 'syntax = "proto3";\n',
    });
    const set = await loadContractSet(createDirectoryFiles(root));
    expect(set.contextMap?.value).toEqual({ version: 1 });
    expect([...set.openapi.keys()]).toEqual(["openapi/cart.yaml"]);
    expect([...set.asyncapi.keys()]).toEqual(["asyncapi/cart.yaml"]);
    expect([...set.shared.keys()]).toEqual(["common/schemas.yaml"]);
    expect(set.proto).toEqual(["proto/ecom/cart/v1/cart.proto"]);
  });

  it("resolves a $ref into another file relative to the referring file", async () => {
    const root = await folderWith({
      "openapi/cart.yaml": "openapi: 3.1.0\n",
      "common/schemas.yaml": "Money:\n  type: object\n",
    });
    const set = await loadContractSet(createDirectoryFiles(root));
    expect(resolveRef(set, "openapi/cart.yaml", "../common/schemas.yaml#/Money")).toEqual({
      file: "common/schemas.yaml",
      pointer: "/Money",
      value: { type: "object" },
    });
    expect(resolveRef(set, "openapi/cart.yaml", "../common/missing.yaml#/Money")).toBeUndefined();
  });

  it("rejects a folder that does not exist with a message naming it", async () => {
    await expect(loadContractSet(createDirectoryFiles("/nonexistent/contracts"))).rejects.toThrow(ContractSourceError);
  });
});
