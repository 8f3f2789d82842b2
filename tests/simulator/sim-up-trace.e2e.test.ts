import { type ChildProcess, execFile, spawn } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { childEnv } from "./sim-process.js";

// `ecom sim up --trace` as a developer runs it: the banner says where traces go, and /_sim/traces keeps a request's
// spans. Bad trace settings stop the start with one line and exit 2. Waits are for output, never for time.

const run = promisify(execFile);
const bin = join(import.meta.dirname, "../../packages/cli/bin/ecom.js");
let simulator: ChildProcess | undefined;

afterAll(() => {
  simulator?.kill("SIGINT");
});

describe("ecom sim up --trace", () => {
  it("names the kept traces in the banner and serves a request's spans at /_sim/traces/{traceId}", async () => {
    simulator = spawn(
      process.execPath,
      [bin, "sim", "up", "--memory", "--port", "0", "--log-level", "warn", "--trace"],
      { stdio: ["ignore", "pipe", "pipe"], env: childEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: "" }) },
    );
    const banner = await new Promise<string>((resolve, reject) => {
      let output = "";
      simulator!.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes("Stop: Ctrl-C")) resolve(output);
      });
      simulator!.once("exit", (code) => reject(new Error(`ecom sim up exited with ${code}`)));
    });
    const url = /contexts on (http:\/\/\S+)/.exec(banner)![1]!;
    expect(banner).toContain(`Traces      ${url}/_sim/traces/{traceId} (the latest spans, in memory)`);
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const products = await fetch(`${url}/products?limit=1`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    expect(products.status).toBe(200);
    const kept = (await (await fetch(`${url}/_sim/traces/${traceId}`)).json()) as {
      spans: { name: string; parentSpanId?: string; kind: string }[];
    };
    expect(kept.spans).toContainEqual(
      expect.objectContaining({ name: "GET /products", kind: "server", parentSpanId: "00f067aa0ba902b7" }),
    );
  });

  it.each([
    ["a trace URL without {traceId}", ["--trace-url", "http://localhost:16686/trace"], {}, /with \{traceId\} in it/],
    ["a trace URL that is not http(s)", ["--trace-url", "ftp://host/{traceId}"], {}, /must be an http\(s\) URL/],
    [
      "an OTLP protocol it cannot send",
      [],
      { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" },
      /OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported; set it to http\/protobuf or http\/json/,
    ],
  ])("refuses %s with exit 2 and a one-line message", async (_name, flags, env, message) => {
    const failed = await run(process.execPath, [bin, "sim", "up", "--memory", "--port", "0", ...flags], {
      env: childEnv(env),
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr.trim().split("\n")).toHaveLength(1);
    expect(failed?.stderr).toMatch(message);
  });
});
