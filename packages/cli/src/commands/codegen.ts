import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";

/** Register `ecom codegen`: regenerate the SDK's `gen/` folder from the contracts, or check it is in sync. */
export function registerCodegenCommand(program: Command): void {
  program
    .command("codegen")
    .description(
      "Generate TypeScript from the contracts into packages/sdk/src/gen (wiping it first): REST types and clients, " +
        "protobuf messages and Connect services, event and command types, standalone validators, the message registry, " +
        "GraphQL schema and operation types.",
    )
    .option("--contracts <dir>", "the contracts folder", "contracts")
    .option("--out <dir>", "the generated folder to write or check", "packages/sdk/src/gen")
    .option("--check", "regenerate in memory and exit 1 naming every file that differs from the folder; write nothing")
    .option("--quiet", "print no progress")
    .action(async (options: { contracts: string; out: string; check?: boolean; quiet?: boolean }) => {
      const contractsDir = resolve(options.contracts);
      const outDir = resolve(options.out);
      if (!existsSync(resolve(contractsDir, "contexts.yaml")) && !existsSync(resolve(contractsDir, "openapi"))) {
        throw new UsageError(
          `${options.contracts} is not a contracts folder (no contexts.yaml or openapi/); pass --contracts <dir>`,
        );
      }
      // Loaded here, not at the top: the generators are heavy and other commands do not need them.
      const { compareGeneratedFolder, generate, writeGeneratedFolder } = await import("@ecom/codegen");
      const progress = options.quiet ? undefined : (step: string) => process.stderr.write(`codegen: ${step}\n`);
      const files = await generate({
        contractsDir,
        repoRoot: process.cwd(),
        ...(progress ? { onProgress: progress } : {}),
      });
      if (options.check) {
        const drift = await compareGeneratedFolder(outDir, files);
        if (drift.length === 0) {
          process.stdout.write(
            `codegen: ${files.size} generated files in ${options.out} are in sync with ${options.contracts}\n`,
          );
          return;
        }
        for (const { path, kind } of drift) process.stdout.write(`${kind.padEnd(8)} ${options.out}/${path}\n`);
        process.stdout.write(
          `codegen: ${drift.length} generated file(s) out of date; run \`npx ecom codegen\` and commit the result\n`,
        );
        process.exitCode = ExitCode.failed;
        return;
      }
      await writeGeneratedFolder(outDir, files);
      process.stdout.write(`codegen: wrote ${files.size} files to ${options.out}\n`);
    });
}
