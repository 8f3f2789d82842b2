import {
  type BreakingChange,
  buildSchema,
  type DangerousChange,
  type DocumentNode,
  findBreakingChanges,
  findDangerousChanges,
  type GraphQLSchema,
  Kind,
  parse,
} from "graphql";
import type { CompareContext } from "./compare-context.js";
import { CompatError } from "./compat-error.js";
import type { ContractSnapshot } from "./contract-snapshot.js";

/** A side's schema: the parsed document (for lines) and the schema built from it. */
interface BuiltSchema {
  readonly document: DocumentNode;
  readonly schema: GraphQLSchema;
}

function build(snapshot: ContractSnapshot, path: string, label: string): BuiltSchema {
  const text = snapshot.texts.get(path) ?? "";
  try {
    const document = parse(text);
    return { document, schema: buildSchema(text) };
  } catch (error) {
    throw new CompatError(
      "unparsable-contract",
      `${label} (${snapshot.origin}): ${path}: ${(error as Error).message}. Fix the file, then run again.`,
      { cause: error },
    );
  }
}

// graphql-js describes each change in a sentence; these find the schema coordinate (`Type`, `Type.field`,
// `Enum.VALUE`, `@directive`) in each of its sentence shapes, most specific first.
const coordinatePatterns: readonly [RegExp, (match: RegExpExecArray) => string][] = [
  [/^An? (?:required|optional) arg \w+ on directive @?(\w+)/, (match) => `@${match[1]}`],
  [/^An? (?:required|optional) arg \w+ on (\w+\.\w+)/, (match) => match[1] ?? ""],
  [/^An? (?:required|optional) field (\w+) on input type (\w+)/, (match) => `${match[2]}.${match[1]}`],
  [/^(\w+) was (?:removed from|added to) enum type (\w+)/, (match) => `${match[2]}.${match[1]}`],
  [/^\w+ (?:was removed from|can now be added to) union type (\w+)/, (match) => match[1] ?? ""],
  [/^(\w+) no longer implements interface/, (match) => match[1] ?? ""],
  [/^\w+ added to interfaces implemented by (\w+)/, (match) => match[1] ?? ""],
  [/^(?:Repeatable flag|\w+) was removed from @?(\w+)\.$/, (match) => `@${match[1]}`],
  [/^([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)/, (match) => match[1] ?? ""],
];

/** The schema coordinate a graphql-js change is about (`Product.title was removed.` → `Product.title`). */
function coordinateOf(description: string): string {
  for (const [pattern, coordinate] of coordinatePatterns) {
    const match = pattern.exec(description);
    if (match) return coordinate(match);
  }
  return "";
}

/** The line of a type or `Type.field` in `document`; the type's when the field is gone, 1 when neither is there. */
function lineOf(document: DocumentNode, coordinate: string): number | undefined {
  const directive = coordinate.startsWith("@");
  const [typeName, fieldName] = coordinate.replace(/^@/, "").split(".");
  for (const definition of document.definitions) {
    if (!("name" in definition) || definition.name?.value !== typeName) continue;
    if ((definition.kind === Kind.DIRECTIVE_DEFINITION) !== directive) continue;
    if (directive) return definition.loc?.startToken.line;
    const members = "fields" in definition ? definition.fields : "values" in definition ? definition.values : undefined;
    const member = fieldName ? members?.find((candidate) => candidate.name.value === fieldName) : undefined;
    return (member ?? definition).loc?.startToken.line;
  }
  return undefined;
}

/**
 * Compare the GraphQL schemas (`graphql/<context>.graphql`) with graphql-js's own change finder: every breaking and
 * dangerous change it reports becomes a `graphql/<CHANGE_TYPE>` finding at the line of the type or field in the head
 * schema (or the base's, when it is gone from the head); a schema file removed breaks every query against it.
 */
export function compareGraphql(context: CompareContext): void {
  const paths = new Set([...context.base.paths("graphql"), ...context.head.paths("graphql")]);
  for (const path of [...paths].sort()) {
    const baseText = context.base.texts.get(path);
    const headText = context.head.texts.get(path);
    if (baseText === headText) continue;
    if (headText === undefined) {
      context.emit({
        ruleId: "graphql/schema-removed",
        kind: "graphql",
        side: "base",
        file: path,
        pointer: "",
        line: 1,
        message: `the GraphQL schema ${path} was removed; every query against it fails`,
      });
      continue;
    }
    if (baseText === undefined) {
      context.emit({
        ruleId: "graphql/schema-added",
        kind: "graphql",
        side: "head",
        file: path,
        pointer: "",
        line: 1,
        message: `the GraphQL schema ${path} was added`,
      });
      continue;
    }
    const base = build(context.base, path, "base");
    const head = build(context.head, path, "head");
    const changes: (BreakingChange | DangerousChange)[] = [
      ...findBreakingChanges(base.schema, head.schema),
      ...findDangerousChanges(base.schema, head.schema),
    ];
    for (const change of changes) {
      const coordinate = coordinateOf(change.description);
      const headLine = lineOf(head.document, coordinate);
      context.emit({
        ruleId: `graphql/${change.type}`,
        kind: "graphql",
        side: headLine === undefined ? "base" : "head",
        file: path,
        pointer: coordinate,
        line: headLine ?? lineOf(base.document, coordinate) ?? 1,
        message: change.description,
      });
    }
  }
}
