import type { SqlTraceEntry } from "@ecom/simulator";

/** What the bench's parent asks a server child (bench/src/server-child.ts). */
export type ChildRequest =
  | {
      readonly kind: "start";
      readonly server: "platform" | "raw-http" | "bare-connect" | "gateway";
      /** platform: a data folder; in memory when absent (and unused with `backends`). */
      readonly dataDir?: string;
      /** platform: on PostgreSQL and NATS JetStream instead (namespace: the platform's; gateway: whose to serve). */
      readonly backends?: { readonly storeUrl: string; readonly busUrl: string; readonly namespace: string };
      /** platform on backends: only these contexts, joining the namespace's registry as `ecom serve --contexts` does. */
      readonly contexts?: readonly string[];
      /** raw-http: the response to send to every request. */
      readonly response?: { status: number; headers: Record<string, string>; body: string };
      /** bare-connect: the GetProductResponse to answer, as protobuf JSON. */
      readonly message?: unknown;
    }
  | { readonly kind: "usage" }
  | { readonly kind: "settle" }
  /** The statements counted since the last take (with ECOM_SQL_TRACE set; none otherwise), and start counting anew. */
  | { readonly kind: "sql-trace" }
  | { readonly kind: "close" };

/** What a server child answers, one reply per request. */
export type ChildReply =
  | { readonly kind: "started"; readonly url: string }
  | {
      readonly kind: "usage";
      /** User + system CPU time of the child so far. */
      readonly cpuMicros: number;
      /** Bytes and write calls the child has made so far (Linux; zeros elsewhere). */
      readonly written: { readonly bytes: number; readonly calls: number };
    }
  /** lastSeq: the newest event of the log once this process was quiet (0 for a server with no platform). */
  | { readonly kind: "settled"; readonly lastSeq: number }
  | { readonly kind: "sql-trace"; readonly entries: readonly SqlTraceEntry[] }
  | { readonly kind: "closed" }
  | { readonly kind: "failed"; readonly message: string };
