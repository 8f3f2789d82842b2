/** A JSON or YAML object as the comparisons read it: its members by name. */
export type Json = Record<string, unknown>;

/** Whether `value` is an object (not null, not an array): a node whose members can be read. */
export const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);
