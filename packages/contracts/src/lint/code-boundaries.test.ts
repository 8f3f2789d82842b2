import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseYamlDocument } from "../source/yaml-document.js";
import { lintContextCode } from "./code-boundaries.js";
import { readContextMap } from "./context-map-model.js";

const map = readContextMap(
  parseYamlDocument(
    "contexts.yaml",
    `contexts:
  order:
    dependsOn: [inventory]
    calls: [ecom.inventory.v1.InventoryService/ReserveStock]
  inventory:
    dependsOn: []
    calls: []
  catalog:
    dependsOn: []
    calls: []
`,
  ),
);

const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function codeWith(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), "ecom-code-"));
  folders.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

describe("lintContextCode", () => {
  it.each([
    [
      "an allowed call and imports within the context",
      { "order/saga.ts": 'import { x } from "./x.js";\nawait runtime.rpc.inventory.reserveStock({});\n' },
      [],
    ],
    [
      "imports of the platform and of shared folders",
      {
        "order/a.ts": 'import { fail } from "../platform/index.js";\nimport { books } from "../seed-data/index.js";\n',
      },
      [],
    ],
    [
      "an import of another context's folder",
      { "inventory/seed.ts": '\nimport { seedStockLevels } from "../catalog/seed-stock.js";\n' },
      [{ ruleId: "code/context-import", file: "inventory/seed.ts", line: 2 }],
    ],
    [
      "a call to a context not in dependsOn",
      { "inventory/x.ts": "const answer = await runtime.rpc.catalog.getProduct({});\n" },
      [{ ruleId: "code/rpc-call-allowed", file: "inventory/x.ts", line: 1 }],
    ],
    [
      "a method missing from calls, split over lines",
      { "order/cancel.ts": "\n\nawait runtime.rpc.inventory\n  .releaseStock({});\n" },
      [{ ruleId: "code/rpc-call-allowed", file: "order/cancel.ts", line: 3 }],
    ],
  ])("%s", async (_name, files, want) => {
    const findings = await lintContextCode(await codeWith(files), map);
    expect(findings.map(({ ruleId, file, line }) => ({ ruleId, file, line }))).toEqual(want);
  });
});
