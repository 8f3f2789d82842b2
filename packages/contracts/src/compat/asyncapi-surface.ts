import { toPointer } from "../source/yaml-document.js";
import type { ContractSnapshot, Located } from "./contract-snapshot.js";
import { isObject } from "./json-object.js";

export type Action = "send" | "receive";

export interface Message {
  readonly key: string;
  /** The message's `name`, which in the ecom contracts is its event or command type. */
  readonly name: string | undefined;
  readonly node: Located;
  readonly contentType: string | undefined;
}

export interface Channel {
  readonly file: string;
  readonly id: string;
  readonly pointer: string;
  /** The address on the wire (the event type in ecom); the channel id when it has none. */
  readonly address: string;
  readonly hasAddress: boolean;
  readonly actions: Set<Action>;
  readonly messages: Map<string, Message>;
}

export interface Operation {
  readonly file: string;
  readonly id: string;
  readonly pointer: string;
  readonly action: string;
  readonly channelId: string | undefined;
}

export interface Surface {
  readonly channels: Channel[];
  readonly operations: Operation[];
}

/** The channels (with their messages and the actions operations take on them) and operations of an AsyncAPI side. */
export function collect(snapshot: ContractSnapshot, files: readonly string[]): Surface {
  const channels: Channel[] = [];
  const operations: Operation[] = [];
  for (const file of files) {
    const document = snapshot.document(file);
    if (!document || !isObject(document.value)) continue;
    const root = document.value;
    const defaultContentType = typeof root.defaultContentType === "string" ? root.defaultContentType : undefined;
    const byId = new Map<string, Channel>();
    if (isObject(root.channels)) {
      for (const id of Object.keys(root.channels)) {
        const pointer = toPointer(["channels", id]);
        const node = snapshot.deref({ file, pointer, value: root.channels[id] });
        if (!isObject(node.value)) continue;
        const messages = new Map<string, Message>();
        const declared = node.value.messages;
        if (isObject(declared)) {
          for (const key of Object.keys(declared)) {
            const message = snapshot.deref({
              file: node.file,
              pointer: `${node.pointer}${toPointer(["messages", key])}`,
              value: declared[key],
            });
            if (!isObject(message.value)) continue;
            const contentType = message.value.contentType;
            messages.set(key, {
              key,
              name: typeof message.value.name === "string" ? message.value.name : undefined,
              node: message,
              contentType: typeof contentType === "string" ? contentType : defaultContentType,
            });
          }
        }
        const address = node.value.address;
        const channel: Channel = {
          file,
          id,
          pointer,
          address: typeof address === "string" ? address : id,
          hasAddress: typeof address === "string",
          actions: new Set(),
          messages,
        };
        byId.set(id, channel);
        channels.push(channel);
      }
    }
    if (isObject(root.operations)) {
      for (const id of Object.keys(root.operations)) {
        const pointer = toPointer(["operations", id]);
        const node = snapshot.deref({ file, pointer, value: root.operations[id] });
        if (!isObject(node.value)) continue;
        const ref = isObject(node.value.channel) ? node.value.channel.$ref : undefined;
        const channelId =
          typeof ref === "string" && ref.startsWith("#/channels/")
            ? decodeURIComponent(ref.slice(11)).replace(/~1/g, "/").replace(/~0/g, "~")
            : undefined;
        const action = String(node.value.action ?? "");
        operations.push({ file, id, pointer, action, channelId });
        const channel = channelId === undefined ? undefined : byId.get(channelId);
        if (channel && (action === "send" || action === "receive")) channel.actions.add(action);
      }
    }
  }
  return { channels, operations };
}
