#!/usr/bin/env node
// Refresh the console's vendored browser bundles from the npm registry (`npm pack`, the ordinary client), pinned
// to the versions below, and write vendor/vendor.json with each file's source, licence (as its package.json declares it) and sha256.
// They are committed so that installing the workspace builds nothing and fetches nothing for the console, and the
// console works offline: no CDN is reached at run time. Run: node packages/console/scripts/update-vendor.mjs
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const vendorDir = join(dirname(fileURLToPath(import.meta.url)), "../vendor");
const bundles = [
  {
    package: "@scalar/api-reference",
    version: "1.76.4",
    files: { "dist/browser/standalone.js": "scalar-api-reference.js" },
  },
  {
    package: "@asyncapi/react-component",
    version: "3.2.1",
    files: {
      "browser/standalone/index.js": "asyncapi-react.js",
      "browser/standalone/index.js.LICENSE.txt": "asyncapi-react.js.LICENSE.txt",
      "styles/default.min.css": "asyncapi-react.css",
      LICENSE: "asyncapi-react.LICENSE",
    },
  },
  {
    package: "cytoscape",
    version: "3.35.0",
    files: { "dist/cytoscape.min.js": "cytoscape.js", LICENSE: "cytoscape.LICENSE" },
  },
];

const manifest = [];
const work = mkdtempSync(join(tmpdir(), "ecom-vendor-"));
try {
  for (const bundle of bundles) {
    const tarball = execFileSync(
      "npm",
      ["pack", `${bundle.package}@${bundle.version}`, "--silent", "--pack-destination", work],
      { encoding: "utf8" },
    ).trim();
    const unpacked = join(work, bundle.package.replace(/[@/]/g, "_"));
    execFileSync("mkdir", ["-p", unpacked]);
    execFileSync("tar", ["-xzf", join(work, tarball), "-C", unpacked]);
    const { license } = JSON.parse(readFileSync(join(unpacked, "package/package.json"), "utf8"));
    for (const [from, to] of Object.entries(bundle.files)) {
      copyFileSync(join(unpacked, "package", from), join(vendorDir, to));
      const sha256 = createHash("sha256")
        .update(readFileSync(join(vendorDir, to)))
        .digest("hex");
      manifest.push({ file: to, package: bundle.package, version: bundle.version, license, from, sha256 });
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(join(vendorDir, "vendor.json"), `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write(`${manifest.length} files written to ${vendorDir}\n`);
