import type { SqlTraceEntry } from "@ecom/simulator";

/** What the bench's parent asks a server child (bench/src/server-child.ts). */
export type ChildRequest =
  | {
      readonly kind: "start";
      readonly server: "platform" | "raw-http" | "bare-connect";
      /** platform: a data folder; in memory when absent. */
      readonly dataDir?: string;
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
  | { readonly kind: "settled" }
  | { readonly kind: "sql-trace"; readonly entries: readonly SqlTraceEntry[] }
  | { readonly kind: "closed" }
  | { readonly kind: "failed"; readonly message: string };
