import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Command } from "commander";
import { ExitCode, UsageError } from "../exit-codes.js";
import { parseUrl } from "../options.js";

/** The console's pages, by the name `ecom open <page>` takes. */
const pages: Readonly<Record<string, string>> = {
  api: "#/api",
  events: "#/events",
  "events-reference": "#/events-reference",
  map: "#/map",
  timeline: "#/timeline",
  orders: "#/orders",
  notifications: "#/notifications",
  platform: "#/platform",
};

/** The command that opens a URL in the default browser here, or undefined when there is none to use. */
export function browserOpener(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): { command: string; args: (url: string) => string[] } | undefined {
  if (platform === "darwin") return { command: "open", args: (url) => [url] };
  if (platform === "win32") return { command: "cmd", args: (url) => ["/c", "start", '""', url] };
  // Elsewhere a browser needs a display, and xdg-open to find the user's default one.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
  const onPath = (env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && existsSync(join(dir, "xdg-open")));
  return onPath ? { command: "xdg-open", args: (url) => [url] } : undefined;
}

/** Register `ecom open`. */
export function registerOpenCommand(program: Command): void {
  program
    .command("open")
    .argument("[page]", `a page of the console: ${Object.keys(pages).join(", ")}`)
    .description(
      "Open the console of a running simulator in the default browser, or print its URL where there is no browser to open " +
        "(no display, or --print). Exit 1 when no simulator answers at --url.",
    )
    .option("--url <url>", "the simulator", "http://127.0.0.1:4000")
    .option("--print", "only print the URL")
    .action(async (page: string | undefined, options: { url: string; print?: boolean }) => {
      const base = parseUrl(options.url);
      if (page !== undefined && !(page in pages))
        throw new UsageError(`unknown page ${page}; pages: ${Object.keys(pages).join(", ")}`);
      const target = `${base}/${page ? pages[page] : ""}`;
      const health = await fetch(`${base}/healthz`).catch(() => undefined);
      if (!health?.ok) {
        process.stderr.write(`ecom: no simulator answers at ${base}; start one with \`npx ecom sim up\`\n`);
        process.exitCode = ExitCode.failed;
        return;
      }
      const opener = options.print ? undefined : browserOpener();
      if (opener) {
        const opened = await new Promise<boolean>((resolve) => {
          const child = spawn(opener.command, opener.args(target), { stdio: "ignore", detached: true });
          child.once("error", () => resolve(false));
          child.once("spawn", () => {
            child.unref();
            resolve(true);
          });
        });
        if (opened) {
          process.stdout.write(`Opened ${target}\n`);
          return;
        }
      }
      process.stdout.write(`${target}\n`);
    });
}
