import {
  buildSchema,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLArgument,
  GraphQLEnumType,
  type GraphQLField,
  type GraphQLInputField,
  GraphQLInputObjectType,
  type GraphQLInputType,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  GraphQLScalarType,
  type GraphQLSchema,
  isIntrospectionType,
  isSpecifiedScalarType,
  Kind,
  type OperationDefinitionNode,
  parse,
  print,
  type SelectionSetNode,
  type TypeNode,
} from "graphql";

/**
 * TypeScript from a context's GraphQL contract: the SDL itself (what the server builds its schema from), one type per
 * schema type and per field's arguments, and a typed document per operation of the SDK's operations file, whose
 * result type follows its selection set (aliases, fragments, `__typename`, nullability).
 */

const SCALARS: Readonly<Record<string, string>> = {
  ID: "string",
  String: "string",
  Int: "number",
  Float: "number",
  Boolean: "boolean",
};

const pascal = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function docComment(description: string | null | undefined, indent = ""): string {
  if (!description) return "";
  const lines = description.split("\n");
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((line) => `${indent} * ${line}`.trimEnd()).join("\n")}\n${indent} */\n`;
}

function scalarType(type: GraphQLScalarType): string {
  // A custom scalar's shape is whatever its serializer says: the contract does not tell.
  return SCALARS[type.name] ?? "unknown";
}

/** The TypeScript of an input position (arguments, input fields, variables): nullable means optional or null. */
function inputType(type: GraphQLInputType): string {
  if (type instanceof GraphQLNonNull) return inputType(type.ofType).replace(/ \| null$/, "");
  if (type instanceof GraphQLList) return `readonly (${inputType(type.ofType)})[] | null`;
  if (type instanceof GraphQLScalarType) return `${scalarType(type)} | null`;
  return `${type.name} | null`;
}

/** The TypeScript of a whole object's field, when every field is selected (the schema's own object types). */
function outputType(type: GraphQLOutputType): string {
  if (type instanceof GraphQLNonNull) return outputType(type.ofType).replace(/ \| null$/, "");
  if (type instanceof GraphQLList) return `readonly (${outputType(type.ofType)})[] | null`;
  if (type instanceof GraphQLScalarType) return `${scalarType(type)} | null`;
  return `${type.name} | null`;
}

function inputMember(field: GraphQLInputField | GraphQLArgument): string {
  const required = field.type instanceof GraphQLNonNull && field.defaultValue === undefined;
  const type = inputType(field.type);
  return `${docComment(field.description, "  ")}  readonly ${field.name}${required ? "" : "?"}: ${type};\n`;
}

function schemaTypes(schema: GraphQLSchema): string {
  let out = "";
  const types = Object.values(schema.getTypeMap())
    .filter((type) => !isIntrospectionType(type) && !(type instanceof GraphQLScalarType && isSpecifiedScalarType(type)))
    .sort((a, b) => a.name.localeCompare(b.name));
  for (const type of types) {
    out += docComment(type.description);
    if (type instanceof GraphQLEnumType) {
      out += `export type ${type.name} = ${type
        .getValues()
        .map((value) => JSON.stringify(value.value))
        .join(" | ")};\n\n`;
    } else if (type instanceof GraphQLInputObjectType) {
      out += `export interface ${type.name} {\n${Object.values(type.getFields()).map(inputMember).join("")}}\n\n`;
    } else if (type instanceof GraphQLObjectType) {
      const fields = Object.values(type.getFields()) as GraphQLField<unknown, unknown>[];
      out += `export interface ${type.name} {\n`;
      for (const field of fields)
        out += `${docComment(field.description, "  ")}  readonly ${field.name}: ${outputType(field.type)};\n`;
      out += "}\n\n";
      for (const field of fields) {
        if (field.args.length === 0) continue;
        out += `/** The arguments of \`${type.name}.${field.name}\`. */\n`;
        out += `export interface ${type.name}${pascal(field.name)}Args {\n${field.args.map(inputMember).join("")}}\n\n`;
      }
    } else if (type instanceof GraphQLScalarType) {
      out += `export type ${type.name} = unknown;\n\n`;
    } else {
      throw new Error(`GraphQL ${type.name}: interfaces and unions are not generated yet; use object types`);
    }
  }
  return out;
}

/** The TypeScript of a variable declared in an operation. */
function variableType(node: TypeNode, schema: GraphQLSchema): string {
  if (node.kind === Kind.NON_NULL_TYPE) return variableType(node.type, schema).replace(/ \| null$/, "");
  if (node.kind === Kind.LIST_TYPE) return `readonly (${variableType(node.type, schema)})[] | null`;
  const named = schema.getType(node.name.value);
  if (!named) throw new Error(`unknown type ${node.name.value}`);
  return named instanceof GraphQLScalarType ? `${scalarType(named)} | null` : `${named.name} | null`;
}

/** Every field a selection set selects on `type`, through inline fragments and fragment spreads. */
function collectFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  into: FieldNode[] = [],
): FieldNode[] {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) into.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT) collectFields(selection.selectionSet, fragments, into);
    else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment) throw new Error(`unknown fragment ${selection.name.value}`);
      collectFields(fragment.selectionSet, fragments, into);
    }
  }
  return into;
}

function selectedType(
  type: GraphQLOutputType,
  selectionSet: SelectionSetNode | undefined,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  indent: string,
): string {
  if (type instanceof GraphQLNonNull)
    return selectedType(type.ofType, selectionSet, fragments, indent).replace(/ \| null$/, "");
  if (type instanceof GraphQLList)
    return `readonly (${selectedType(type.ofType, selectionSet, fragments, indent)})[] | null`;
  if (type instanceof GraphQLScalarType) return `${scalarType(type)} | null`;
  if (type instanceof GraphQLEnumType) return `${type.name} | null`;
  if (!(type instanceof GraphQLObjectType) || !selectionSet)
    throw new Error(`GraphQL ${type.name}: only object types with a selection are generated`);
  return `${selectionObject(type, selectionSet, fragments, indent)} | null`;
}

function selectionObject(
  type: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  indent: string,
): string {
  const members = new Map<string, string>();
  for (const node of collectFields(selectionSet, fragments)) {
    const key = node.alias?.value ?? node.name.value;
    // A field under @include/@skip may be absent from the result.
    const optional = (node.directives ?? []).some((directive) => ["include", "skip"].includes(directive.name.value));
    if (node.name.value === "__typename") {
      members.set(key, `${indent}  readonly ${key}${optional ? "?" : ""}: ${JSON.stringify(type.name)};\n`);
      continue;
    }
    const field = type.getFields()[node.name.value];
    if (!field) throw new Error(`${type.name} has no field ${node.name.value}`);
    const value = selectedType(field.type, node.selectionSet, fragments, `${indent}  `);
    members.set(key, `${indent}  readonly ${key}${optional ? "?" : ""}: ${value};\n`);
  }
  return `{\n${[...members.values()].join("")}${indent}}`;
}

/** The fragments a selection set spreads, directly or through other fragments, in first-use order. */
function spreadNames(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  into = new Set<string>(),
): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment) throw new Error(`unknown fragment ${name}`);
      if (into.has(name)) continue;
      into.add(name);
      spreadNames(fragment.selectionSet, fragments, into);
    } else if (selection.selectionSet) spreadNames(selection.selectionSet, fragments, into);
  }
  return into;
}

function operationTypes(schema: GraphQLSchema, operationsSource: string): string {
  const document = parse(operationsSource);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions)
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  let out = "";
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  for (const operation of operations) {
    if (!operation.name) throw new Error("every operation of the SDK's operations file needs a name");
    const name = operation.name.value;
    const root = operation.operation === "query" ? schema.getQueryType() : undefined;
    if (!root) throw new Error(`${name}: only queries are generated (the schema has no mutations)`);
    const variables = operation.variableDefinitions ?? [];
    out += `/** The variables of \`${name}\`. */\nexport interface ${name}Variables {\n`;
    for (const variable of variables) {
      const required = variable.type.kind === Kind.NON_NULL_TYPE && !variable.defaultValue;
      out += `  readonly ${variable.variable.name.value}${required ? "" : "?"}: ${variableType(variable.type, schema)};\n`;
    }
    out += "}\n\n";
    out += `/** The \`data\` of \`${name}\`. */\nexport type ${name}Result = ${selectionObject(root, operation.selectionSet, fragments, "")};\n\n`;
    // The operation with the fragments it spreads, so the document is complete on its own.
    const used = [...spreadNames(operation.selectionSet, fragments)].map((spread) => fragments.get(spread)!);
    const text = [print(operation), ...used.map((fragment) => print(fragment))].join("\n\n");
    out += `/** The \`${name}\` query, typed by its variables and result. */\n`;
    out += `export const ${name}: GraphqlDocument<${name}Result, ${name}Variables> = {\n  operationName: ${JSON.stringify(name)},\n  query: ${JSON.stringify(text)},\n};\n\n`;
  }
  return out;
}

/** The generated module of one context's GraphQL contract (and its SDK operations, when there are some). */
export function graphqlContextSource(context: string, sdl: string, operationsSource: string | undefined): string {
  const schema = buildSchema(sdl);
  let out = "";
  if (operationsSource) out += 'import type { GraphqlDocument } from "../../runtime/v1/index.js";\n\n';
  out += `/** The SDL of the ${context} context's GraphQL contract, exactly as written: what its server builds the schema from. */\n`;
  out += `export const ${context}GraphqlSchema: string = ${JSON.stringify(sdl)};\n\n`;
  out += schemaTypes(schema);
  if (operationsSource) out += operationTypes(schema, operationsSource);
  return `${out.trimEnd()}\n`;
}

/** The index of the generated GraphQL modules: each context's as a namespace (`graphql.search.ProductWithInventory`). */
export function graphqlIndexSource(contexts: readonly string[]): string {
  return contexts.map((context) => `export * as ${context} from "./${context}.js";\n`).join("");
}
