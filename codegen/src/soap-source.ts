import { parseWsdl, type XsdField, type XsdShape } from "@ecom/contracts";

/** TypeScript of an XSD built-in type, as the `soap` client reads and writes it. */
const BUILT_INS: Readonly<Record<string, string>> = {
  "xsd:string": "string",
  "xsd:token": "string",
  "xsd:dateTime": "string",
  "xsd:date": "string",
  "xsd:anyURI": "string",
  "xsd:int": "number",
  "xsd:integer": "number",
  "xsd:long": "number",
  "xsd:short": "number",
  "xsd:decimal": "number",
  "xsd:double": "number",
  "xsd:float": "number",
  "xsd:boolean": "boolean",
};

const jsdoc = (doc: string | undefined, indent: string) =>
  doc ? `${indent}/** ${doc.replace(/\*\//g, "*\\/")} */\n` : "";

function tsType(field: XsdField, file: string): string {
  const base = BUILT_INS[field.type] ?? (/^[A-Za-z_][\w]*$/.test(field.type) ? field.type : undefined);
  if (base === undefined) throw new Error(`${file}:${field.line}: no TypeScript type for ${field.type}`);
  return field.repeated ? `readonly ${base}[]` : base;
}

function interfaceOf(shape: XsdShape, file: string): string {
  if (shape.typeRef !== undefined) return `${jsdoc(shape.doc, "")}export type ${shape.name} = ${shape.typeRef};\n`;
  const fields = shape.fields
    .map(
      (field) =>
        `${jsdoc(field.doc, "  ")}  readonly ${field.name}${field.optional ? "?" : ""}: ${tsType(field, file)};\n`,
    )
    .join("");
  return `${jsdoc(shape.doc, "")}export interface ${shape.name} {\n${fields}}\n`;
}

/**
 * One WSDL contract as TypeScript: the document as written (what a server serves), the names of its services,
 * ports and operations, and an interface for every complex type and element of its inline schema (what a `soap`
 * client sends and gets back).
 */
export function soapContextSource(context: string, file: string, wsdl: string): string {
  const parsed = parseWsdl(file, wsdl);
  if (!parsed.ok) throw new Error(`${file}:${parsed.problems[0]?.line}: ${parsed.problems[0]?.message}`);
  const { document } = parsed;
  const [service] = document.services.values();
  const port = service?.ports[0];
  const parts = [
    `/** The WSDL of the ${context} context's SOAP contract, exactly as written: what the simulator serves. */\n`,
    `export const ${context}Wsdl: string = ${JSON.stringify(wsdl)};\n\n`,
    `/** The contract's target namespace. */\n`,
    `export const ${context}WsdlNamespace = ${JSON.stringify(document.targetNamespace)};\n\n`,
  ];
  if (service && port) {
    const binding = document.bindings.get(port.binding);
    const operations = [...(binding?.operations.keys() ?? [])];
    parts.push(
      "/** The service, its port and its operations, as a `soap` server keys its implementation. */\n",
      `export const ${context}SoapService = ${JSON.stringify({ service: service.name, port: port.name, operations })} as const;\n\n`,
    );
  }
  const shapes = [...document.types.values(), ...document.elements.values()].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
  parts.push(shapes.map((shape) => interfaceOf(shape, file)).join("\n"));
  return parts.join("");
}

/** The index of the SOAP modules: one namespace per context. */
export function soapIndexSource(contexts: readonly string[]): string {
  return contexts.map((context) => `export * as ${context} from "./${context}.js";\n`).join("");
}
