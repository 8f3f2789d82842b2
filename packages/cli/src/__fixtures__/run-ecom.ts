import { vi } from "vitest";
import { run } from "../main.js";

/** What one `ecom …` run in this process gave: its exit code and what it printed. */
export interface EcomRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run `ecom …` in this process, capturing stdout and stderr (the test's own output is left alone after). */
export async function runEcom(...args: string[]): Promise<EcomRun> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await run(["node", "ecom", ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
