import {
  buildASTSchema,
  type DocumentNode,
  GraphQLError,
  GraphQLList,
  type GraphQLSchema,
  getNamedType,
  getNullableType,
  isObjectType,
  Kind,
  parse,
  validate,
  validateSchema,
} from "graphql";
// graphql-js checks SDL with this before building a schema, but throws its findings as one Error without locations;
// called directly it gives each as a GraphQLError with its line.
import { validateSDL } from "graphql/validation/validate.js";
import { contextOfFile } from "../../source/contract-set.js";
import type { LintContext, LintRule, Report } from "../lint-rule.js";

/** A schema file parsed and built, or why it could not be. */
type Built =
  | { readonly ok: true; readonly document: DocumentNode; readonly schema: GraphQLSchema }
  | { readonly ok: false; readonly errors: readonly GraphQLError[] };

function buildFrom(text: string): Built {
  let document: DocumentNode;
  try {
    document = parse(text);
  } catch (error) {
    if (error instanceof GraphQLError) return { ok: false, errors: [error] };
    throw error;
  }
  const sdlErrors = validateSDL(document);
  if (sdlErrors.length > 0) return { ok: false, errors: sdlErrors };
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(document);
  } catch (error) {
    if (error instanceof Error) return { ok: false, errors: [new GraphQLError(error.message)] };
    throw error;
  }
  const errors = validateSchema(schema);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, document, schema };
}

/** Each schema file of the set, built once per lint run (both rules read them). */
const builtCache = new WeakMap<LintContext["set"], Map<string, Built>>();
function schemas(context: LintContext): Map<string, Built> {
  let built = builtCache.get(context.set);
  if (!built) {
    built = new Map([...context.set.graphql].map(([path, text]) => [path, buildFrom(text)]));
    builtCache.set(context.set, built);
  }
  return built;
}

const lineOfError = (error: GraphQLError) => error.locations?.[0]?.line ?? 1;

/** Report every error with its line, the message as graphql-js words it. */
function reportErrors(report: Report, file: string, errors: readonly GraphQLError[], what: string): void {
  for (const error of errors) report({ file, line: lineOfError(error) }, `${what}: ${error.message}`);
}

/** `graphql/schema-valid`: each `graphql/<context>.graphql` parses, builds into a valid schema, and names a context. */
export const graphqlSchemaValid: LintRule = {
  id: "graphql/schema-valid",
  severity: "error",
  checks:
    "Each `graphql/<context>.graphql` is SDL that graphql-js parses and builds into a valid schema (`buildASTSchema` + `validateSchema`), with a `Query` type, for a context of `contexts.yaml`.",
  fix: "Fix the SDL where graphql-js says; name the file after the context that serves it.",
  check(context, report) {
    const contexts = context.contextMap()?.contexts;
    for (const [file, built] of schemas(context)) {
      if (!built.ok) {
        reportErrors(report, file, built.errors, "the schema is not valid GraphQL");
        continue;
      }
      if (!built.schema.getQueryType())
        report({ file, line: 1 }, "the schema has no Query type; every GraphQL schema answers queries");
      const name = contextOfFile(file);
      if (contexts && !contexts.has(name))
        report({ file, line: 1 }, `no context "${name}" in contexts.yaml serves this schema; name the file after one`);
    }
  },
};

/**
 * `graphql/field-naming`: field and argument names are camelCase and type names PascalCase, so no table or column
 * name (`publisher_name`, `search_documents`) leaks into the public schema (seed 004's checklist).
 */
export const graphqlFieldNaming: LintRule = {
  id: "graphql/field-naming",
  severity: "error",
  checks:
    "Every field, argument and input field of a GraphQL schema is camelCase and every type PascalCase, so no table or column name (snake_case) leaks into it.",
  fix: "Name the field for what it means to a client (`publisher`, not `publisher_name`) and map it in the resolver.",
  check(context, report) {
    for (const [file, built] of schemas(context)) {
      if (!built.ok) continue;
      for (const definition of built.document.definitions) {
        if (!("name" in definition) || !definition.name) continue;
        const line = (node: { loc?: { startToken: { line: number } } | undefined }) => node.loc?.startToken.line ?? 1;
        const typeName = definition.name.value;
        if (definition.kind !== Kind.DIRECTIVE_DEFINITION && !/^[A-Z][A-Za-z0-9]*$/.test(typeName))
          report({ file, line: line(definition) }, `type ${typeName} is not PascalCase; rename it`);
        const fields = "fields" in definition ? (definition.fields ?? []) : [];
        for (const field of fields) {
          if (!/^[a-z][A-Za-z0-9]*$/.test(field.name.value))
            report({ file, line: line(field) }, `${typeName}.${field.name.value} is not camelCase; rename it`);
          for (const argument of "arguments" in field ? (field.arguments ?? []) : []) {
            if (!/^[a-z][A-Za-z0-9]*$/.test(argument.name.value))
              report(
                { file, line: line(argument) },
                `argument ${argument.name.value} of ${typeName}.${field.name.value} is not camelCase; rename it`,
              );
          }
        }
      }
    }
  },
};

/** `graphql/list-bounded`: a list a query returns at the root takes a bound (`first`, `last` or `limit`). */
export const graphqlListBounded: LintRule = {
  id: "graphql/list-bounded",
  severity: "error",
  checks:
    "Every field of the `Query` type that returns a list takes an `Int` argument `first`, `last` or `limit`, so no request can ask for all of a collection.",
  fix: "Add `first: Int = 20` (and enforce its maximum in the resolver) or return a connection type.",
  check(context, report) {
    for (const [file, built] of schemas(context)) {
      if (!built.ok) continue;
      const query = built.schema.getQueryType();
      if (!query || !isObjectType(query)) continue;
      for (const field of Object.values(query.getFields())) {
        if (!(getNullableType(field.type) instanceof GraphQLList)) continue;
        const bounded = field.args.some(
          (argument) =>
            ["first", "last", "limit"].includes(argument.name) && getNamedType(argument.type).name === "Int",
        );
        if (!bounded)
          report(
            { file, line: field.astNode?.loc?.startToken.line ?? 1 },
            `Query.${field.name} returns a list without a bound; add a first: Int argument with a maximum`,
          );
      }
    }
  },
};

/** `graphql/operations-valid`: the SDK's operations for a schema are valid against it. */
export const graphqlOperationsValid: LintRule = {
  id: "graphql/operations-valid",
  severity: "error",
  checks:
    "Each `graphql/operations/<context>.graphql` parses and validates (graphql-js `validate`) against `graphql/<context>.graphql`, and every operation has a name.",
  fix: "Fix the operation where graphql-js says (a field the schema lacks, a wrong variable type), or add the schema.",
  check(context, report) {
    const built = schemas(context);
    for (const [file, text] of context.set.graphqlOperations) {
      const schemaFile = `graphql/${contextOfFile(file)}.graphql`;
      const target = built.get(schemaFile);
      if (!target) {
        report({ file, line: 1 }, `there is no ${schemaFile} for these operations; add it or move the file`);
        continue;
      }
      if (!target.ok) continue;
      let document: DocumentNode;
      try {
        document = parse(text);
      } catch (error) {
        if (error instanceof GraphQLError) {
          reportErrors(report, file, [error], "the operations are not valid GraphQL");
          continue;
        }
        throw error;
      }
      reportErrors(report, file, validate(target.schema, document), `against ${schemaFile}`);
      for (const definition of document.definitions) {
        if (definition.kind === Kind.OPERATION_DEFINITION && !definition.name)
          report(
            { file, line: definition.loc?.startToken.line ?? 1 },
            "an operation without a name cannot become a typed document; name it",
          );
      }
    }
  },
};
