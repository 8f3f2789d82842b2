/**
 * A contract channel address with `{parameters}` as whole topic levels (`iot/inventory/{sku}/delta`), as MQTT sees
 * it: the subscription filter (`iot/inventory/+/delta`) and the parameters a received topic carries.
 */
export interface TopicPattern {
  readonly address: string;
  /** The MQTT subscription filter: each `{parameter}` level becomes `+`. */
  readonly filter: string;
  /** The parameters of `topic` by name, or undefined when the topic is not one of this channel's. */
  match(topic: string): Record<string, string> | undefined;
}

const PARAMETER = /^\{([A-Za-z][A-Za-z0-9_]*)\}$/;

/** Read a channel address; throws when a `{…}` is not a whole level or the address uses MQTT wildcards itself. */
export function topicPattern(address: string): TopicPattern {
  const levels = address.split("/");
  const names = levels.map((level) => PARAMETER.exec(level)?.[1]);
  for (const [index, level] of levels.entries()) {
    if (names[index] === undefined && /[{}+#]/.test(level))
      throw new Error(`channel address ${address}: a parameter must be a whole topic level, like {sku}`);
  }
  return {
    address,
    filter: levels.map((level, index) => (names[index] === undefined ? level : "+")).join("/"),
    match(topic) {
      const parts = topic.split("/");
      if (parts.length !== levels.length) return undefined;
      const parameters: Record<string, string> = {};
      for (const [index, level] of levels.entries()) {
        const part = parts[index] ?? "";
        const name = names[index];
        if (name === undefined) {
          if (part !== level) return undefined;
        } else {
          if (part === "") return undefined;
          parameters[name] = part;
        }
      }
      return parameters;
    },
  };
}
