// Preloaded into a child `ecom sim up` (node --require) by start-modules.e2e.test.ts: writes every module the process
// has loaded, ES modules (seen by a loader hook) and CommonJS ones (require's cache), to $ECOM_MODULES_FILE when
// SIGINT arrives, before the simulator's own handler starts shutting down.
const { appendFileSync } = require("node:fs");
const { register } = require("node:module");
const { pathToFileURL } = require("node:url");

const file = process.env.ECOM_MODULES_FILE;
register(
  `data:text/javascript,${encodeURIComponent(`
    import { appendFileSync } from "node:fs";
    export async function load(url, context, next) {
      if (!url.startsWith("node:")) appendFileSync(${JSON.stringify(file)}, url + "\\n");
      return next(url, context);
    }`)}`,
  pathToFileURL(__filename),
);
process.prependListener("SIGINT", () => {
  appendFileSync(
    file,
    Object.keys(require.cache)
      .map((path) => `${pathToFileURL(path)}\n`)
      .join(""),
  );
});
