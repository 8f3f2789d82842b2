import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const bin = fileURLToPath(new URL("../bin/ecom.js", import.meta.url));

it("ends quietly with exit 0 when its reader closes the pipe before the output is written (ecom … | head)", async () => {
  const child = spawn(process.execPath, [bin, "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  // Closed before the process has even loaded: every write it makes meets a closed pipe.
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = await once(child, "exit");
  expect(stderr).toBe("");
  expect(code).toBe(0);
});
