/** What the message registry knows of one event or command type. */
export interface MessageRegistryEntry {
  /** The full type, e.g. `ecommerce.order.order.created.v1`. */
  readonly type: string;
  /** `event`: a fact its producer publishes; `command`: a request its handler acts on. */
  readonly kind: "event" | "command";
  /** The context that publishes the event, or handles the command. */
  readonly producer: string;
  readonly title: string;
  readonly description: string;
  /** The channel address (equal to the type). */
  readonly channel: string;
  /** The major version, from the `.vN` suffix. */
  readonly version: number;
  /** `<major>.<minor>` of the payload schema, as the envelope carries it. */
  readonly schemaVersion: string;
  /** Contexts that subscribe to the event or handle the command, per contexts.yaml. */
  readonly consumers: readonly string[];
  /** The contract file the message is defined in. */
  readonly contract: string;
  /** The name of the payload's validator in the generated message validators. */
  readonly validator: string;
  /** The contract's first example, envelope metadata and payload. */
  readonly example?: { readonly headers: unknown; readonly payload: unknown } | undefined;
}
