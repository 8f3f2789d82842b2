import { BreakingChangeType, DangerousChangeType } from "graphql";
import type { ContractKind, Severity } from "./finding.js";

/** One compatibility rule: its stable id, the severity it always reports with, and what it means. */
export interface CompatRule {
  readonly id: string;
  readonly kind: ContractKind;
  readonly severity: Severity;
  readonly summary: string;
}

/**
 * The side of an exchange a schema sits on. `request`: what a client sends (OpenAPI parameters and request
 * bodies, the commands an AsyncAPI context receives); the new contract must accept everything the old one did.
 * `response`: what a client reads (OpenAPI responses, the messages an AsyncAPI context sends); the new output must
 * be something the old contract already described.
 */
export type Side = "request" | "response";

/** The kinds of change the schema differ reports; each becomes `<kind>/<side>-<change>`. */
export type SchemaChange =
  | "required-property-added"
  | "property-added"
  | "required-property-removed"
  | "property-removed"
  | "property-became-required"
  | "property-became-optional"
  | "enum-value-removed"
  | "enum-value-added"
  | "type-changed"
  | "type-narrowed"
  | "type-widened"
  | "nullable-removed"
  | "nullable-added"
  | "constraint-tightened"
  | "constraint-loosened"
  | "constraint-changed"
  | "one-of-branch-removed"
  | "one-of-branch-added"
  | "any-of-branch-removed"
  | "any-of-branch-added"
  | "default-changed"
  | "keyword-changed"
  | "unresolved-ref";

/**
 * Severity of each schema change on each side. A change that narrows what a schema allows breaks requests (old
 * clients may send what is no longer accepted) and is safe in responses; a change that widens it is the reverse.
 * Objects in the ecom contracts are closed (`additionalProperties: false`), which is why a property added to an
 * output is a warning: a consumer that validates strictly with its old copy of the schema rejects it.
 */
export const schemaChanges: Readonly<Record<SchemaChange, { request: Severity; response: Severity; summary: string }>> =
  {
    "required-property-added": {
      request: "breaking",
      response: "warning",
      summary: "a required property was added to a closed object",
    },
    "property-added": {
      request: "info",
      response: "warning",
      summary: "an optional property was added to a closed object (strict readers of an output reject it)",
    },
    "required-property-removed": {
      request: "breaking",
      response: "breaking",
      summary: "a required property was removed from a closed object",
    },
    "property-removed": {
      request: "breaking",
      response: "info",
      summary: "an optional property was removed from a closed object (old clients that send it are rejected)",
    },
    "property-became-required": {
      request: "breaking",
      response: "info",
      summary: "an optional property became required",
    },
    "property-became-optional": {
      request: "info",
      response: "breaking",
      summary: "a required property became optional",
    },
    "enum-value-removed": { request: "breaking", response: "info", summary: "an enum value was removed" },
    "enum-value-added": {
      request: "info",
      response: "warning",
      summary: "an enum value was added (strict readers of an output reject it)",
    },
    "type-changed": { request: "breaking", response: "breaking", summary: "the type changed to an unrelated one" },
    "type-narrowed": { request: "breaking", response: "info", summary: "the type now allows fewer kinds of value" },
    "type-widened": { request: "info", response: "breaking", summary: "the type now allows more kinds of value" },
    "nullable-removed": { request: "breaking", response: "info", summary: "null is no longer allowed" },
    "nullable-added": { request: "info", response: "breaking", summary: "null is now allowed" },
    "constraint-tightened": {
      request: "breaking",
      response: "info",
      summary:
        "a constraint was added or tightened (max lowered, min raised, pattern/format/enum added, closed object)",
    },
    "constraint-loosened": {
      request: "info",
      response: "breaking",
      summary:
        "a constraint was removed or loosened (max raised, min lowered, pattern/format/enum removed, opened object)",
    },
    "constraint-changed": {
      request: "warning",
      response: "warning",
      summary: "a pattern, format or multipleOf changed in a way that is neither clearly tighter nor looser",
    },
    "one-of-branch-removed": { request: "breaking", response: "info", summary: "a oneOf branch was removed" },
    "one-of-branch-added": { request: "info", response: "breaking", summary: "a oneOf branch was added" },
    "any-of-branch-removed": { request: "breaking", response: "info", summary: "an anyOf branch was removed" },
    "any-of-branch-added": { request: "info", response: "breaking", summary: "an anyOf branch was added" },
    "default-changed": {
      request: "warning",
      response: "info",
      summary: "a default value changed (clients that omit the value get other behaviour)",
    },
    "keyword-changed": {
      request: "warning",
      response: "warning",
      summary: "a schema keyword the checker does not classify changed (not, if/then/else, discriminator, …)",
    },
    "unresolved-ref": {
      request: "warning",
      response: "warning",
      summary: "a changed $ref cannot be resolved, so what it points to could not be compared",
    },
  };

/** Rules of the OpenAPI surface itself (paths, operations, parameters, bodies, responses, security). */
const openapiRules: Record<string, [Severity, string]> = {
  "path-removed": ["breaking", "a path was removed while some of its operations were not deprecated"],
  "deprecated-path-removed": ["info", "a path whose operations were all deprecated was removed"],
  "path-added": ["info", "a path was added"],
  "operation-removed": ["breaking", "an operation was removed without being deprecated first"],
  "deprecated-operation-removed": ["info", "a deprecated operation was removed"],
  "operation-added": ["info", "an operation was added"],
  "security-added": ["breaking", "an operation needs credentials, schemes or scopes that old clients do not send"],
  "security-removed": ["info", "an operation accepts credentials it did not before"],
  "request-path-parameter-added": ["breaking", "a path gained a path parameter, so old URLs no longer match"],
  "request-required-parameter-added": ["breaking", "a required parameter (query, header, cookie) was added"],
  "request-parameter-added": ["info", "an optional parameter was added"],
  "request-parameter-removed": ["warning", "a parameter was removed; old clients still send it"],
  "request-parameter-became-required": ["breaking", "an optional parameter became required"],
  "request-parameter-became-optional": ["info", "a required parameter became optional"],
  "request-body-removed": ["breaking", "the request body was removed; old clients still send one"],
  "request-required-body-added": ["breaking", "a required request body was added"],
  "request-body-added": ["info", "an optional request body was added"],
  "request-body-became-required": ["breaking", "an optional request body became required"],
  "request-body-became-optional": ["info", "a required request body became optional"],
  "request-media-type-removed": ["breaking", "a request media type is no longer accepted"],
  "request-media-type-added": ["info", "a request media type was added"],
  "response-success-status-removed": ["breaking", "a success (2xx) response status was removed"],
  "response-status-removed": ["info", "a non-success response status was removed"],
  "response-status-added": ["info", "a response status was added"],
  "response-media-type-removed": ["breaking", "a response media type was removed"],
  "response-media-type-added": ["info", "a response media type was added"],
  "response-required-header-removed": ["breaking", "a required response header was removed"],
  "response-header-became-optional": ["breaking", "a required response header became optional"],
  "response-header-removed": ["info", "an optional response header was removed"],
  "response-header-added": ["info", "a response header was added"],
  "docs-changed": ["info", "documentation only: description, summary, title, example(s), deprecated, tags"],
  "sdk-operation-renamed": [
    "breaking",
    "SDK surface: an operationId (or the file of its context) changed, so the generated client method is renamed",
  ],
  "sdk-schema-renamed": ["breaking", "SDK surface: a schema was renamed, so its generated type name is gone"],
  "sdk-schema-removed": ["breaking", "SDK surface: a named schema was removed, so its generated type is gone"],
  "tag-renamed": ["info", "a tag was renamed or removed; ecom's SDK derives no name from tags"],
  "webhook-removed": ["breaking", "a webhook was removed: receivers that rely on it get nothing more"],
  "webhook-added": ["info", "a webhook was added"],
};

/** Rules of the AsyncAPI surface itself (channels, operations, messages) and the versioning rule. */
const asyncapiRules: Record<string, [Severity, string]> = {
  "channel-removed": ["breaking", "a channel was removed (keep a .vN channel beside .vN+1 for the deprecation window)"],
  "channel-added": ["info", "a channel was added"],
  "event-version-added": ["info", "a .vN+1 channel was published beside .vN: the versioning rule's way, not breaking"],
  "channel-address-changed": ["breaking", "a channel's address changed (publish the new address beside the old)"],
  "operation-removed": ["breaking", "an operation was removed"],
  "operation-added": ["info", "an operation was added"],
  "operation-action-changed": ["breaking", "an operation's action changed between send and receive"],
  "operation-channel-changed": ["breaking", "an operation moved to another channel"],
  "message-removed": ["breaking", "a message was removed from a channel"],
  "response-message-added": [
    "breaking",
    "a channel a context sends on carries a new message old consumers do not know (publish a new channel)",
  ],
  "request-message-added": ["info", "a channel a context receives on accepts a new message"],
  "message-name-changed": ["breaking", "a message's name (its event type) changed"],
  "content-type-changed": ["breaking", "a message's content type changed"],
  "docs-changed": ["info", "documentation only: description, summary, title, example(s), deprecated, tags"],
  "sdk-schema-renamed": ["breaking", "SDK surface: a schema was renamed, so its generated type name is gone"],
  "sdk-schema-removed": ["breaking", "SDK surface: a named schema was removed, so its generated type is gone"],
};

/** Rules of the protobuf contracts that ecom adds to buf's; buf's own findings are `proto/<BUF_RULE_ID>`, breaking. */
const protoRules: Record<string, [Severity, string]> = {
  "service-removed": ["breaking", "a service was removed (whatever buf category is configured)"],
  "rpc-removed": ["breaking", "an RPC was removed from a service (whatever buf category is configured)"],
  "service-added": ["info", "a service was added"],
  "rpc-added": ["info", "an RPC was added to a service"],
  FILE_NO_DELETE: ["breaking", "a proto file was deleted (buf's rule, reported by ecom when no proto file is left)"],
};

/**
 * GraphQL rules: graphql-js's own change types (`findBreakingChanges`, `findDangerousChanges`), as buf's are for
 * protobuf, plus a schema file added or removed. Breaking types break; dangerous ones warn, except an optional
 * argument or input field added, which no existing query sends and so cannot change: those are safe (info).
 */
const graphqlRules: Record<string, [Severity, string]> = {
  ...Object.fromEntries(
    Object.values(BreakingChangeType).map((type) => [
      type,
      ["breaking", `graphql-js breaking change ${type}`] as const,
    ]),
  ),
  ...Object.fromEntries(
    Object.values(DangerousChangeType).map((type) => [
      type,
      ["warning", `graphql-js dangerous change ${type}`] as const,
    ]),
  ),
  OPTIONAL_ARG_ADDED: ["info", "an optional argument was added; queries that do not send it are unchanged"],
  OPTIONAL_INPUT_FIELD_ADDED: ["info", "an optional input field was added; inputs without it are unchanged"],
  "schema-removed": ["breaking", "a GraphQL schema file was removed, and every query against it fails"],
  "schema-added": ["info", "a GraphQL schema file was added"],
};

/**
 * SOAP rules (`soap/<context>.wsdl`): the platform is the client, so what it sends (requests) and what it reads
 * (responses, faults) must both stay as they were. Removing or retyping anything breaks; a new element breaks when
 * required (a client does not send it), and is safe when optional (`minOccurs="0"`).
 */
const soapRules: Record<string, [Severity, string]> = {
  "wsdl-removed": ["breaking", "a WSDL file was removed, and every call against it fails"],
  "wsdl-added": ["info", "a WSDL file was added"],
  "operation-removed": ["breaking", "an operation was removed from a port type or is no longer bound"],
  "operation-added": ["info", "an operation was added"],
  "message-changed": ["breaking", "an operation's input, output or fault message is another one"],
  "part-removed": ["breaking", "a message part was removed"],
  "part-added": ["breaking", "a message part was added (a document/literal message has one part a client must send)"],
  "part-changed": ["breaking", "a message part names another element or type"],
  "type-removed": ["breaking", "a complex type or top-level element was removed"],
  "type-added": ["info", "a complex type or top-level element was added"],
  "element-removed": ["breaking", "an element was removed from a type's sequence"],
  "element-type-changed": ["breaking", "an element's type or its maxOccurs changed"],
  "element-became-required": ["breaking", "an optional element became required (minOccurs 0 → 1)"],
  "element-became-optional": ["warning", "a required element became optional: a reader of it may meet it absent"],
  "required-element-added": ["breaking", "a required element was added: clients do not send it"],
  "optional-element-added": ["info", "an optional element (minOccurs=0) was added: messages without it still hold"],
  "service-removed": ["breaking", "a service or one of its ports was removed"],
};

function build(): CompatRule[] {
  const rules: CompatRule[] = [];
  for (const kind of ["openapi", "asyncapi"] as const) {
    for (const [change, entry] of Object.entries(schemaChanges)) {
      for (const side of ["request", "response"] as const) {
        rules.push({
          id: `${kind}/${side}-${change}`,
          kind,
          severity: entry[side],
          summary: `${side}: ${entry.summary}`,
        });
      }
    }
  }
  const own = [
    ["openapi", openapiRules],
    ["asyncapi", asyncapiRules],
    ["proto", protoRules],
    ["graphql", graphqlRules],
    ["soap", soapRules],
  ] as const;
  for (const [kind, table] of own) {
    for (const [name, [severity, summary]] of Object.entries(table)) {
      rules.push({ id: `${kind}/${name}`, kind, severity, summary });
    }
  }
  return rules;
}

/** Every rule ecom compat reports with, except buf's own (`proto/<BUF_RULE_ID>`, always breaking). */
export const compatRules: readonly CompatRule[] = build();

const byId = new Map(compatRules.map((rule) => [rule.id, rule]));

/** The rule with `id`; buf's rules (`proto/FIELD_NO_DELETE`, …) are breaking. Throws for an id nobody defined. */
export function ruleById(id: string): CompatRule {
  const rule = byId.get(id);
  if (rule) return rule;
  if (/^proto\/[A-Z][A-Z0-9_]*$/.test(id))
    return { id, kind: "proto", severity: "breaking", summary: "buf breaking rule" };
  throw new Error(`no compat rule ${id}`);
}

/** The id of a schema rule: `openapi/request-property-became-required`. */
export function schemaRuleId(kind: "openapi" | "asyncapi", side: Side, change: SchemaChange): string {
  return `${kind}/${side}-${change}`;
}
