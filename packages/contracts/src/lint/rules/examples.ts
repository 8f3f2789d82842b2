import type { ResolvedRef } from "../../source/contract-set.js";
import { asyncApiMessages, child, entries, isNode, items, openApiOperations, rootOf } from "../contract-walk.js";
import type { LintContext, LintRule, Report } from "../lint-rule.js";
import { type Dialect, describeError, isMissingReference, SchemaValidators } from "../schema-validators.js";

/** Walks the contracts to every example and checks it against the schema it illustrates. */
class ExampleChecker {
  readonly #visited = new Set<string>();

  constructor(
    private readonly context: LintContext,
    private readonly validators: SchemaValidators,
    private readonly report: Report,
  ) {}

  #once(kind: string, dialect: Dialect, at: ResolvedRef): boolean {
    const key = `${kind} ${dialect} ${at.file}#${at.pointer}`;
    if (this.#visited.has(key)) return false;
    this.#visited.add(key);
    return true;
  }

  /** Check `value` (an example) against the schema at `raw` (once per example and schema, however reached). */
  check(dialect: Dialect, raw: ResolvedRef, value: ResolvedRef, what: string): void {
    const schema = this.context.deref(raw);
    if (value.value === undefined || !schema) return;
    if (!this.#once(`check ${value.file}#${value.pointer}`, dialect, schema)) return;
    const validator = this.validators.get(dialect, schema);
    const schemaPlace = `${schema.file}:${this.context.document(schema.file)?.lineOf(schema.pointer) ?? 1}`;
    if (validator instanceof Error) {
      if (isMissingReference(validator)) return;
      this.report(
        { file: schema.file, pointer: schema.pointer },
        `cannot check ${what} (${value.file}): its schema does not compile (${validator.message}); fix the schema`,
      );
      return;
    }
    if (validator(value.value)) return;
    const errors = (validator.errors ?? []).filter((error) => error.keyword !== "if");
    const [first] = errors;
    const details = errors.slice(0, 3).map(describeError).join("; ");
    const more = errors.length > 3 ? ` (and ${errors.length - 3} more)` : "";
    this.report(
      { file: value.file, pointer: value.pointer + (first?.instancePath ?? "") },
      `${what} does not match its schema (${schemaPlace}): ${details}${more}; fix the example or the schema`,
    );
  }

  /** A schema and everything below it: its `examples` (and legacy `example`), and every subschema. */
  schema(dialect: Dialect, raw: ResolvedRef): void {
    const schema = this.context.deref(raw);
    if (!schema || !isNode(schema.value) || !this.#once("schema", dialect, schema)) return;
    for (const [index, example] of items(child(schema, "examples")).entries()) {
      this.check(dialect, schema, example, `schema example ${index}`);
    }
    if ("example" in schema.value) this.check(dialect, schema, child(schema, "example"), "schema example");
    for (const keyword of ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]) {
      for (const [, subschema] of entries(child(schema, keyword))) this.schema(dialect, subschema);
    }
    for (const keyword of ["allOf", "anyOf", "oneOf", "prefixItems"]) {
      for (const subschema of items(child(schema, keyword))) this.schema(dialect, subschema);
    }
    const itemsAt = child(schema, "items");
    if (Array.isArray(itemsAt.value)) for (const subschema of items(itemsAt)) this.schema(dialect, subschema);
    for (const keyword of [
      "items",
      "additionalItems",
      "additionalProperties",
      "unevaluatedItems",
      "unevaluatedProperties",
      "not",
      "if",
      "then",
      "else",
      "contains",
      "propertyNames",
    ]) {
      const subschema = child(schema, keyword);
      if (isNode(subschema.value)) this.schema(dialect, subschema);
    }
  }

  /** An OpenAPI media type object: `example`, `examples` (inline or `$ref` to components/examples), schema. */
  mediaType(raw: ResolvedRef, what: string): void {
    const mediaType = this.context.deref(raw);
    if (!mediaType || !isNode(mediaType.value) || !this.#once("media", "2020-12", mediaType)) return;
    this.#examplesOf(mediaType, child(mediaType, "schema"), what);
  }

  /** `example` and `examples` beside a `schema` (media types, parameters, headers). */
  #examplesOf(owner: ResolvedRef, schema: ResolvedRef, what: string): void {
    if (schema.value === undefined) return;
    if (isNode(owner.value) && "example" in owner.value) this.check("2020-12", schema, child(owner, "example"), what);
    for (const [name, rawExample] of entries(child(owner, "examples"))) {
      const example = this.context.deref(rawExample);
      if (!example || !isNode(example.value) || !("value" in example.value)) continue;
      this.check("2020-12", schema, child(example, "value"), `${what} example '${name}'`);
    }
    this.schema("2020-12", schema);
  }

  /** An OpenAPI parameter or header: examples against its `schema`, or its `content` media types. */
  parameterOrHeader(raw: ResolvedRef, what: string): void {
    const parameter = this.context.deref(raw);
    if (!parameter || !isNode(parameter.value) || !this.#once("parameter", "2020-12", parameter)) return;
    this.#examplesOf(parameter, child(parameter, "schema"), what);
    for (const [type, mediaType] of entries(child(parameter, "content"))) this.mediaType(mediaType, `${what} ${type}`);
  }

  /** An OpenAPI response: its headers and its media types. */
  response(raw: ResolvedRef, what: string): void {
    const response = this.context.deref(raw);
    if (!response || !this.#once("response", "2020-12", response)) return;
    for (const [name, header] of entries(child(response, "headers")))
      this.parameterOrHeader(header, `${what} header ${name}`);
    for (const [type, mediaType] of entries(child(response, "content"))) this.mediaType(mediaType, `${what} ${type}`);
  }

  openapi(file: string): void {
    const root = rootOf(this.context, file);
    const components = child(root, "components");
    for (const [, schema] of entries(child(components, "schemas"))) this.schema("2020-12", schema);
    for (const [name, parameter] of entries(child(components, "parameters")))
      this.parameterOrHeader(parameter, `parameter ${name}`);
    for (const [name, header] of entries(child(components, "headers")))
      this.parameterOrHeader(header, `header ${name}`);
    for (const [name, response] of entries(child(components, "responses"))) this.response(response, `response ${name}`);
    for (const [name, rawBody] of entries(child(components, "requestBodies"))) {
      const body = this.context.deref(rawBody);
      if (body)
        for (const [type, mediaType] of entries(child(body, "content")))
          this.mediaType(mediaType, `request body ${name} ${type}`);
    }
  }

  operations(): void {
    for (const { method, path, operation, pathItem } of openApiOperations(this.context)) {
      const name = `${method.toUpperCase()} ${path}`;
      for (const list of [child(pathItem, "parameters"), child(operation, "parameters")]) {
        for (const parameter of items(list)) {
          const resolved = this.context.deref(parameter);
          const label = isNode(resolved?.value) ? String(resolved.value.name) : "";
          this.parameterOrHeader(parameter, `${name} parameter ${label}`.trimEnd());
        }
      }
      const body = this.context.deref(child(operation, "requestBody"));
      if (body)
        for (const [type, mediaType] of entries(child(body, "content")))
          this.mediaType(mediaType, `${name} request ${type}`);
      for (const [status, response] of entries(child(operation, "responses")))
        this.response(response, `${name} ${status}`);
    }
  }

  /** AsyncAPI: each message's examples (headers and payload) and the schemas of the document. */
  asyncapi(): void {
    for (const { message } of asyncApiMessages(this.context)) {
      const payload = this.#payloadSchema(message);
      const headers = child(message, "headers");
      const name =
        isNode(message.value) && typeof message.value.name === "string" ? message.value.name : message.pointer;
      for (const [index, example] of items(child(message, "examples")).entries()) {
        const label =
          isNode(example.value) && typeof example.value.name === "string" ? example.value.name : String(index);
        if (payload)
          this.check(
            payload.dialect,
            payload.schema,
            child(example, "payload"),
            `message ${name} example '${label}' payload`,
          );
        if (headers.value !== undefined)
          this.check("draft-07", headers, child(example, "headers"), `message ${name} example '${label}' headers`);
      }
      if (payload) this.schema(payload.dialect, payload.schema);
      if (headers.value !== undefined) this.schema("draft-07", headers);
    }
    for (const file of this.context.set.asyncapi.keys()) {
      for (const [, schema] of entries(child(rootOf(this.context, file), "components", "schemas")))
        this.schema("draft-07", schema);
    }
  }

  /**
   * The payload schema of a message and its dialect. A multi-format schema (`schemaFormat` + `schema`) in a
   * JSON Schema or AsyncAPI format is read as draft-07; other formats (Avro, …) are not checked.
   */
  #payloadSchema(message: ResolvedRef): { schema: ResolvedRef; dialect: Dialect } | undefined {
    const payload = child(message, "payload");
    if (payload.value === undefined) return undefined;
    const resolved = this.context.deref(payload);
    if (resolved && isNode(resolved.value) && typeof resolved.value.schemaFormat === "string") {
      const format = resolved.value.schemaFormat;
      if (!/^application\/(schema|vnd\.aai\.asyncapi)(\+json|\+yaml|;|$)/.test(format)) return undefined;
      return {
        schema: child(resolved, "schema"),
        dialect: /draft-2020-12|2020-12/.test(format) ? "2020-12" : "draft-07",
      };
    }
    return { schema: payload, dialect: "draft-07" };
  }
}

/** `example/matches-schema`: every example validates against its schema, in the dialect of its document. */
export const exampleMatchesSchema: LintRule = {
  id: "example/matches-schema",
  severity: "error",
  checks:
    "Every example validates against its schema with ajv: OpenAPI media types, parameters, headers, `components/examples` by `$ref`, and schema `examples` as JSON Schema 2020-12; AsyncAPI message examples (headers and payload) as draft-07.",
  fix: "Change the example (or the schema, if the example is right) at the line given; the message names the failing field.",
  check(context, report) {
    const checker = new ExampleChecker(context, new SchemaValidators(context), report);
    for (const file of context.set.openapi.keys()) checker.openapi(file);
    checker.operations();
    checker.asyncapi();
  },
};

const hasExample = (mediaType: unknown) =>
  isNode(mediaType) &&
  ("example" in mediaType || (isNode(mediaType.examples) && Object.keys(mediaType.examples).length > 0));

/** `example/present`: every request and response body and every message carries an example. */
export const examplePresent: LintRule = {
  id: "example/present",
  severity: "error",
  checks:
    "Every OpenAPI request and response media type has an `example` or `examples`, and every AsyncAPI message has at least one example with a payload; mocks and docs are generated from them.",
  fix: "Add a realistic `example` (or named `examples`) beside the schema, or `examples:` with `headers` and `payload` on the message.",
  check(context, report) {
    const seen = new Set<string>();
    const checkContent = (owner: ResolvedRef | undefined, what: string) => {
      if (!owner) return;
      for (const [type, raw] of entries(child(owner, "content"))) {
        const mediaType = context.deref(raw);
        if (!mediaType) continue;
        const key = `${mediaType.file}#${mediaType.pointer}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (!hasExample(mediaType.value)) {
          report(
            { file: mediaType.file, pointer: mediaType.pointer },
            `${what} ${type} has no example; add \`example:\` (or \`examples:\`) beside its schema`,
          );
        }
      }
    };
    for (const { method, path, operation } of openApiOperations(context)) {
      const name = `${method.toUpperCase()} ${path}`;
      checkContent(context.deref(child(operation, "requestBody")), `the request body of ${name}`);
      for (const [status, response] of entries(child(operation, "responses"))) {
        checkContent(context.deref(response), `the ${status} response of ${name}`);
      }
    }
    for (const { message } of asyncApiMessages(context)) {
      const examples = isNode(message.value) ? message.value.examples : undefined;
      const name =
        isNode(message.value) && typeof message.value.name === "string" ? message.value.name : message.pointer;
      if (!Array.isArray(examples) || examples.length === 0) {
        report(
          { file: message.file, pointer: message.pointer },
          `message ${name} has no example; add \`examples:\` with \`headers\` (the envelope) and \`payload\``,
        );
        continue;
      }
      for (const [index, example] of examples.entries()) {
        if (!isNode(example) || example.payload === undefined) {
          report(
            { file: message.file, pointer: `${message.pointer}/examples/${index}` },
            `example ${index} of message ${name} has no payload; add \`payload:\` (and \`headers:\`)`,
          );
        }
      }
    }
  },
};
