#!/usr/bin/env node
import { run } from "../dist/main.js";

// A reader that stops early (`ecom sim export | head`) closes the pipe: that ends the output, it is not a crash.
process.stdout.on("error", (error) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await run(process.argv);
