/** The `ecom` CLI as a library: build the program or run it with an argv. */

export { ExitCode, UsageError } from "./exit-codes.js";
export { createProgram, run } from "./main.js";
