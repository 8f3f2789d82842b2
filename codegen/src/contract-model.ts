import { type ContractSet, contextOfFile, resolveRef, toPointer, valueAt } from "@ecom/contracts";

/** Where a schema lives: a contract file and a JSON Pointer in it (after following `$ref`s to it). */
export interface SchemaLocation {
  readonly file: string;
  readonly pointer: string;
}

/** One parameter of a REST operation. */
export interface RestParameter {
  readonly name: string;
  readonly in: "path" | "query" | "header" | "cookie";
  readonly required: boolean;
  readonly schema: SchemaLocation | undefined;
  readonly example: unknown;
}

/** One documented response of a REST operation. */
export interface RestResponse {
  /** `200`, `404`, or `default`. */
  readonly status: string;
  readonly description: string;
  /** The first media type, when the response has a body. */
  readonly contentType: string | undefined;
  readonly schema: SchemaLocation | undefined;
  /** The first example of the first media type, when there is one. */
  readonly example: unknown;
  readonly hasExample: boolean;
}

/** A REST operation of one context, with every `$ref` on the way to its schemas followed. */
export interface RestOperation {
  readonly context: string;
  readonly file: string;
  readonly operationId: string;
  readonly method: "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace";
  /** The OpenAPI path template, e.g. `/carts/{cartId}/items`. */
  readonly path: string;
  readonly summary: string;
  /** True when the operation requires a bearer token. */
  readonly requiresAuth: boolean;
  /** Who may call it: `public` without security, `customer-own` with bearerAuth, `admin` with `x-access: admin`. */
  readonly access: "public" | "customer-own" | "admin";
  readonly parameters: readonly RestParameter[];
  readonly requestBody:
    | {
        readonly required: boolean;
        readonly contentType: string;
        readonly schema: SchemaLocation | undefined;
        readonly example: unknown;
      }
    | undefined;
  readonly responses: readonly RestResponse[];
}

/** An event or command message of one context's AsyncAPI document. */
export interface MessageModel {
  readonly context: string;
  readonly file: string;
  /** The full type, e.g. `ecommerce.cart.cart.checked_out.v1`: message name and channel address. */
  readonly type: string;
  /** `event` when the context sends it, `command` when the context receives (handles) it. */
  readonly kind: "event" | "command";
  readonly title: string;
  readonly description: string;
  /** The major version from the `.vN` suffix. */
  readonly version: number;
  readonly channel: string;
  /** The schema name of the payload, e.g. `CartCheckedOutPayload`. */
  readonly payloadName: string;
  readonly payload: SchemaLocation;
  readonly headers: SchemaLocation | undefined;
  readonly examples: readonly { readonly name: string; readonly headers: unknown; readonly payload: unknown }[];
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Follow `$ref`s from a node until a node without one; returns the node and where it is. */
function follow(
  set: ContractSet,
  file: string,
  pointer: string,
  node: unknown,
): { file: string; pointer: string; node: unknown } {
  let current = { file, pointer, node };
  for (let hops = 0; hops < 32 && isObject(current.node) && typeof current.node.$ref === "string"; hops++) {
    const target = resolveRef(set, current.file, current.node.$ref);
    if (!target) throw new Error(`${current.file}${current.pointer}: cannot resolve $ref ${current.node.$ref}`);
    current = { file: target.file, pointer: target.pointer, node: target.value };
  }
  return current;
}

/** A schema's location: where its `$ref` points, or the place it is written inline. */
function schemaLocation(set: ContractSet, file: string, pointer: string, schema: unknown): SchemaLocation | undefined {
  if (schema === undefined) return undefined;
  if (isObject(schema) && typeof schema.$ref === "string" && Object.keys(schema).length === 1) {
    const target = resolveRef(set, file, schema.$ref);
    if (target) return { file: target.file, pointer: target.pointer };
  }
  return { file, pointer };
}

/** The first example of a media type or parameter: `example`, else the first of `examples` (following `$ref`). */
function firstExample(set: ContractSet, file: string, pointer: string, holder: Json): { has: boolean; value: unknown } {
  if ("example" in holder) return { has: true, value: holder.example };
  if (isObject(holder.examples)) {
    const [name] = Object.keys(holder.examples);
    if (name !== undefined) {
      const example = follow(set, file, `${pointer}/examples/${name}`, holder.examples[name]);
      if (isObject(example.node) && "value" in example.node) return { has: true, value: example.node.value };
    }
  }
  return { has: false, value: undefined };
}

/** Every REST operation of every OpenAPI document in the set, sorted by context then operationId. */
export function restOperations(set: ContractSet): RestOperation[] {
  const operations: RestOperation[] = [];
  for (const [file, document] of set.openapi) {
    const context = contextOfFile(file);
    const root = document.value as Json;
    const rootSecurity = Array.isArray(root.security) ? root.security : [];
    const paths = isObject(root.paths) ? root.paths : {};
    for (const [path, pathItemRaw] of Object.entries(paths)) {
      const pathPointer = toPointer(["paths", path]);
      const pathItem = follow(set, file, pathPointer, pathItemRaw);
      if (!isObject(pathItem.node)) continue;
      const shared = Array.isArray(pathItem.node.parameters) ? pathItem.node.parameters : [];
      for (const method of METHODS) {
        const operation = pathItem.node[method];
        if (!isObject(operation)) continue;
        const opPointer = `${pathItem.pointer}/${method}`;
        const parameters = new Map<string, RestParameter>();
        const own = Array.isArray(operation.parameters) ? operation.parameters : [];
        const collect = (list: unknown[], basePointer: string) =>
          list.forEach((raw, index) => {
            const resolved = follow(set, pathItem.file, `${basePointer}/parameters/${index}`, raw);
            if (!isObject(resolved.node)) return;
            const parameter = resolved.node;
            const name = String(parameter.name);
            const location = parameter.in as RestParameter["in"];
            const example = firstExample(set, resolved.file, resolved.pointer, parameter);
            parameters.set(`${location}:${name.toLowerCase()}`, {
              name,
              in: location,
              required: parameter.required === true,
              schema: schemaLocation(set, resolved.file, `${resolved.pointer}/schema`, parameter.schema),
              example: example.value,
            });
          });
        collect(shared, pathItem.pointer);
        collect(own, opPointer);

        let requestBody: RestOperation["requestBody"];
        if (operation.requestBody !== undefined) {
          const body = follow(set, pathItem.file, `${opPointer}/requestBody`, operation.requestBody);
          const content = isObject(body.node) && isObject(body.node.content) ? body.node.content : {};
          const [contentType] = Object.keys(content);
          if (contentType !== undefined && isObject(body.node)) {
            const media = content[contentType] as Json;
            const mediaPointer = `${body.pointer}/content/${contentType.replace(/~/g, "~0").replace(/\//g, "~1")}`;
            requestBody = {
              required: body.node.required === true,
              contentType,
              schema: schemaLocation(set, body.file, `${mediaPointer}/schema`, media.schema),
              example: firstExample(set, body.file, mediaPointer, media).value,
            };
          }
        }

        const responses: RestResponse[] = [];
        for (const [status, raw] of Object.entries(isObject(operation.responses) ? operation.responses : {})) {
          const response = follow(set, pathItem.file, `${opPointer}/responses/${status}`, raw);
          if (!isObject(response.node)) continue;
          const content = isObject(response.node.content) ? response.node.content : {};
          const [contentType] = Object.keys(content);
          const media = contentType === undefined ? undefined : (content[contentType] as Json);
          const mediaPointer =
            contentType === undefined
              ? ""
              : `${response.pointer}/content/${contentType.replace(/~/g, "~0").replace(/\//g, "~1")}`;
          const example = media
            ? firstExample(set, response.file, mediaPointer, media)
            : { has: false, value: undefined };
          responses.push({
            status,
            description: String(response.node.description ?? ""),
            contentType,
            schema: media ? schemaLocation(set, response.file, `${mediaPointer}/schema`, media.schema) : undefined,
            example: example.value,
            hasExample: example.has,
          });
        }

        const security = Array.isArray(operation.security) ? operation.security : rootSecurity;
        const requiresAuth =
          security.length > 0 &&
          security.every((requirement) => isObject(requirement) && Object.keys(requirement).length > 0);
        operations.push({
          context,
          file,
          operationId: String(operation.operationId),
          method,
          path,
          summary: String(operation.summary ?? ""),
          requiresAuth,
          access: !requiresAuth ? "public" : operation["x-access"] === "admin" ? "admin" : "customer-own",
          parameters: [...parameters.values()],
          requestBody,
          responses,
        });
      }
    }
  }
  return operations.sort((a, b) => a.context.localeCompare(b.context) || a.operationId.localeCompare(b.operationId));
}

/** Every message of every AsyncAPI document in the set, sorted by type. */
export function messages(set: ContractSet): MessageModel[] {
  const found: MessageModel[] = [];
  for (const [file, document] of set.asyncapi) {
    const context = contextOfFile(file);
    const root = document.value as Json;
    const operations = isObject(root.operations) ? root.operations : {};
    const channels = isObject(root.channels) ? root.channels : {};
    const kindOf = new Map<string, "event" | "command">();
    for (const operation of Object.values(operations)) {
      if (!isObject(operation)) continue;
      const refs = Array.isArray(operation.messages) ? operation.messages : [];
      for (const ref of refs) {
        if (!isObject(ref) || typeof ref.$ref !== "string") continue;
        const message = follow(set, file, "", ref);
        if (isObject(message.node) && typeof message.node.name === "string") {
          kindOf.set(message.node.name, operation.action === "receive" ? "command" : "event");
        }
      }
    }
    for (const [channelKey, channelRaw] of Object.entries(channels)) {
      const channel = follow(set, file, toPointer(["channels", channelKey]), channelRaw);
      if (!isObject(channel.node) || !isObject(channel.node.messages)) continue;
      for (const [messageKey, messageRaw] of Object.entries(channel.node.messages)) {
        const message = follow(set, channel.file, `${channel.pointer}/messages/${messageKey}`, messageRaw);
        if (!isObject(message.node)) continue;
        const type = String(message.node.name);
        const payloadRef = message.node.payload;
        const payload = schemaLocation(set, message.file, `${message.pointer}/payload`, payloadRef);
        if (!payload) throw new Error(`${message.file}${message.pointer}: message ${type} has no payload`);
        const payloadName =
          isObject(payloadRef) && typeof payloadRef.$ref === "string"
            ? (payloadRef.$ref.split("/").pop() ?? "Payload")
            : `${messageKey[0]?.toUpperCase()}${messageKey.slice(1)}Payload`;
        const examples = (Array.isArray(message.node.examples) ? message.node.examples : [])
          .filter(isObject)
          .map((example, index) => ({
            name: String(example.name ?? `example${index}`),
            headers: example.headers,
            payload: example.payload,
          }));
        found.push({
          context,
          file,
          type,
          kind: kindOf.get(type) ?? "event",
          title: String(message.node.title ?? type),
          description: String(message.node.description ?? channel.node.description ?? ""),
          version: Number(/\.v(\d+)$/.exec(type)?.[1] ?? 1),
          channel: String(channel.node.address ?? channelKey),
          payloadName,
          payload,
          headers: schemaLocation(set, message.file, `${message.pointer}/headers`, message.node.headers),
          examples,
        });
      }
    }
  }
  return found.sort((a, b) => a.type.localeCompare(b.type));
}

/** The value at a schema location, for generators that inline a schema. */
export function schemaAt(set: ContractSet, location: SchemaLocation): unknown {
  const documents = new Map([...set.openapi, ...set.asyncapi, ...set.shared]);
  return valueAt(documents.get(location.file)?.value, location.pointer);
}
