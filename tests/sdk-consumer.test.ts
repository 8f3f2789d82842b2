import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const tsc = join(root, "node_modules/typescript/bin/tsc");
let project: string;

const compile = () =>
  run(process.execPath, [tsc, "--project", join(project, "tsconfig.json")], { cwd: project }).then(
    () => ({ code: 0, output: "" }),
    (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
  );

/**
 * A project outside the workspace that depends on the built @ecom/sdk as an integrator's would (node_modules
 * links to the package folder; its own dependencies resolve from there).
 */
async function makeProject(entry: string): Promise<void> {
  await rm(join(project, "src"), { recursive: true, force: true });
  await mkdir(join(project, "src"), { recursive: true });
  await copyFile(join(import.meta.dirname, "sdk-consumer", entry), join(project, "src", entry));
}

beforeAll(async () => {
  if (!existsSync(join(root, "packages/sdk/dist/index.js")))
    throw new Error("build the workspace first: npm run build");
  project = await mkdtemp(join(tmpdir(), "ecom-sdk-consumer-"));
  await mkdir(join(project, "node_modules/@ecom"), { recursive: true });
  await symlink(join(root, "packages/sdk"), join(project, "node_modules/@ecom/sdk"), "dir");
  await symlink(join(root, "node_modules/msw"), join(project, "node_modules/msw"), "dir");
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await writeFile(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2023", "DOM"],
        types: [],
        skipLibCheck: true,
        outDir: "dist",
        rootDir: "src",
      },
      include: ["src"],
    }),
  );
});

afterAll(async () => {
  if (project) await rm(project, { recursive: true, force: true });
});

describe("an integrator's program using the built @ecom/sdk", () => {
  it("type-checks under tsc --strict and runs: a typed REST call against the MSW handlers and a parsed event", async () => {
    await makeProject("consumer.ts");
    const compiled = await compile();
    expect(compiled.output).toBe("");
    expect(compiled.code).toBe(0);
    const { stdout } = await run(process.execPath, [join(project, "dist/consumer.js")], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ subtotal: 9198, eventType: "ecommerce.cart.cart.expired.v1", itemCount: 1 });
  });

  it("fails to compile when an operation gets a parameter of the wrong type", async () => {
    await makeProject("wrong-parameter.ts");
    const compiled = await compile();
    expect(compiled.code).not.toBe(0);
    expect(compiled.output).toMatch(
      /wrong-parameter\.ts\(\d+,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/,
    );
  });
});
