import { createRequire } from "node:module";

/**
 * The few DOM members read here. @xmldom/xmldom's own typings pull the browser's DOM library into every package that
 * compiles this file (and so change what `fetch` returns there), so it is loaded untyped and read through these.
 */
interface XmlNode {
  readonly nodeType: number;
  readonly nodeValue: string | null;
  readonly firstChild: XmlNode | null;
  readonly nextSibling: XmlNode | null;
  readonly previousSibling: XmlNode | null;
}
interface XmlElement extends XmlNode {
  readonly namespaceURI: string | null;
  readonly localName: string;
  /** Set by xmldom's locator: the line the start tag is on. */
  readonly lineNumber?: number;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  lookupNamespaceURI(prefix: string | null): string | null;
}
interface XmlParser {
  parseFromString(text: string, mimeType: string): { readonly documentElement: XmlElement | null };
}
type XmlErrorHandler = (message: string) => void;
const { DOMParser } = createRequire(import.meta.url)("@xmldom/xmldom") as {
  DOMParser: new (options: {
    /** An object here makes xmldom record each node's line. */
    locator: object;
    errorHandler: { warning: XmlErrorHandler; error: XmlErrorHandler; fatalError: XmlErrorHandler };
  }) => XmlParser;
};

/**
 * A WSDL 1.1 contract (`soap/<context>.wsdl`) read into what lint, compat and codegen need: its XSD types (inline in
 * `wsdl:types`), messages, port types, bindings and services, each with the line it starts on. Names are local names;
 * a reference to a name of the target namespace keeps only the local part, and an XSD built-in type is `xsd:<name>`.
 */
export interface WsdlDocument {
  readonly file: string;
  readonly targetNamespace: string;
  /** Named complex types and top-level elements of the inline schema, by name (one namespace: a name is one shape). */
  readonly types: ReadonlyMap<string, XsdShape>;
  readonly elements: ReadonlyMap<string, XsdShape>;
  readonly messages: ReadonlyMap<string, WsdlMessage>;
  readonly portTypes: ReadonlyMap<string, WsdlPortType>;
  readonly bindings: ReadonlyMap<string, WsdlBinding>;
  readonly services: ReadonlyMap<string, WsdlService>;
}

/** A complex type or a top-level element: a sequence of fields, or (an element) a reference to a named type. */
export interface XsdShape {
  readonly name: string;
  readonly line: number;
  /** The XML comment right before it, trimmed. */
  readonly doc: string | undefined;
  readonly fields: readonly XsdField[];
  /** `type="…"` of an element that names its type instead of declaring it inline. */
  readonly typeRef?: string;
}

/** One `xsd:element` of a sequence. */
export interface XsdField {
  readonly name: string;
  readonly line: number;
  readonly doc: string | undefined;
  /** `xsd:string`, `xsd:long`, … or the local name of a type of the contract. */
  readonly type: string;
  readonly optional: boolean;
  readonly repeated: boolean;
}

export interface WsdlMessage {
  readonly name: string;
  readonly line: number;
  readonly parts: readonly {
    readonly name: string;
    readonly line: number;
    readonly element?: string;
    readonly type?: string;
  }[];
}

export interface WsdlOperation {
  readonly name: string;
  readonly line: number;
  readonly input?: string;
  readonly output?: string;
  readonly faults: readonly { readonly name: string; readonly message: string }[];
}

export interface WsdlPortType {
  readonly name: string;
  readonly line: number;
  readonly operations: ReadonlyMap<string, WsdlOperation>;
}

export interface WsdlBinding {
  readonly name: string;
  readonly line: number;
  readonly type: string;
  readonly operations: ReadonlyMap<string, { readonly name: string; readonly line: number }>;
}

export interface WsdlService {
  readonly name: string;
  readonly line: number;
  readonly ports: readonly {
    readonly name: string;
    readonly line: number;
    readonly binding: string;
    readonly location: string | undefined;
  }[];
}

/** Why a WSDL could not be read: not well-formed XML, or not a WSDL 1.1 document. */
export interface WsdlProblem {
  readonly line: number;
  readonly message: string;
}

export const WSDL_NS = "http://schemas.xmlsoap.org/wsdl/";
export const XSD_NS = "http://www.w3.org/2001/XMLSchema";
export const SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/";

const lineOf = (element: XmlElement) => element.lineNumber ?? 1;

function childElements(parent: XmlNode, namespace: string, localName?: string): XmlElement[] {
  const found: XmlElement[] = [];
  for (let node = parent.firstChild; node; node = node.nextSibling) {
    if (node.nodeType !== 1) continue;
    const element = node as XmlElement;
    if (element.namespaceURI === namespace && (localName === undefined || element.localName === localName))
      found.push(element);
  }
  return found;
}

/** The comment right before `element` (only whitespace between), as its documentation. */
function docOf(element: XmlNode): string | undefined {
  for (let node = element.previousSibling; node; node = node.previousSibling) {
    if (node.nodeType === 8) return (node.nodeValue ?? "").replace(/\s+/g, " ").trim();
    if (node.nodeType !== 3 || (node.nodeValue ?? "").trim() !== "") return undefined;
  }
  return undefined;
}

/**
 * Parse `text` as a WSDL 1.1 document. A document that is not well-formed, or whose root is not
 * `wsdl:definitions`, comes back as problems with their lines.
 */
export function parseWsdl(
  file: string,
  text: string,
): { readonly ok: true; readonly document: WsdlDocument } | { readonly ok: false; readonly problems: WsdlProblem[] } {
  const problems: WsdlProblem[] = [];
  const report = (message: string) => {
    const line = /line:(\d+)/.exec(message)?.[1];
    const text = message.replace(/\s*@#\[line:.*$/s, "").replace(/^\[xmldom \w+\]\s*/, "");
    problems.push({ line: line ? Number(line) : 1, message: text.trim() });
  };
  // xmldom only warns of some malformed XML (a mismatched end tag); a contract must be well-formed, so warnings count.
  const xml = new DOMParser({
    locator: {},
    errorHandler: { warning: report, error: report, fatalError: report },
  }).parseFromString(text, "text/xml");
  if (problems.length > 0) return { ok: false, problems };
  const root = xml.documentElement;
  if (!root || root.namespaceURI !== WSDL_NS || root.localName !== "definitions")
    return {
      ok: false,
      problems: [{ line: root ? lineOf(root) : 1, message: "the root is not a WSDL 1.1 wsdl:definitions" }],
    };
  const targetNamespace = root.getAttribute("targetNamespace") ?? "";

  // A QName's namespace is looked up where it is written; only the target namespace's and XSD's names are kept.
  const resolveName = (at: XmlElement, qname: string | null): string => {
    if (!qname) return "";
    const [prefix, local] = qname.includes(":") ? qname.split(":", 2) : [null, qname];
    const namespace = at.lookupNamespaceURI(prefix);
    if (namespace === XSD_NS) return `xsd:${local}`;
    return namespace === targetNamespace ? (local ?? "") : qname;
  };

  const fieldsOf = (complexType: XmlElement | undefined): XsdField[] => {
    if (!complexType) return [];
    const sequence = childElements(complexType, XSD_NS).find((child) => ["sequence", "all"].includes(child.localName));
    return (sequence ? childElements(sequence, XSD_NS, "element") : []).map((field) => ({
      name: field.getAttribute("name") ?? "",
      line: lineOf(field),
      doc: docOf(field),
      type: resolveName(field, field.getAttribute("type")),
      optional: field.getAttribute("minOccurs") === "0",
      repeated: (field.getAttribute("maxOccurs") || "1") !== "1",
    }));
  };

  const types = new Map<string, XsdShape>();
  const elements = new Map<string, XsdShape>();
  for (const section of childElements(root, WSDL_NS, "types")) {
    for (const schema of childElements(section, XSD_NS, "schema")) {
      for (const type of childElements(schema, XSD_NS, "complexType")) {
        const name = type.getAttribute("name") ?? "";
        types.set(name, { name, line: lineOf(type), doc: docOf(type), fields: fieldsOf(type) });
      }
      for (const element of childElements(schema, XSD_NS, "element")) {
        const name = element.getAttribute("name") ?? "";
        const typeRef = element.getAttribute("type");
        elements.set(name, {
          name,
          line: lineOf(element),
          doc: docOf(element),
          fields: fieldsOf(childElements(element, XSD_NS, "complexType")[0]),
          ...(typeRef ? { typeRef: resolveName(element, typeRef) } : {}),
        });
      }
    }
  }

  const messages = new Map<string, WsdlMessage>();
  for (const message of childElements(root, WSDL_NS, "message")) {
    const name = message.getAttribute("name") ?? "";
    messages.set(name, {
      name,
      line: lineOf(message),
      parts: childElements(message, WSDL_NS, "part").map((part) => ({
        name: part.getAttribute("name") ?? "",
        line: lineOf(part),
        ...(part.hasAttribute("element") ? { element: resolveName(part, part.getAttribute("element")) } : {}),
        ...(part.hasAttribute("type") ? { type: resolveName(part, part.getAttribute("type")) } : {}),
      })),
    });
  }

  const portTypes = new Map<string, WsdlPortType>();
  for (const portType of childElements(root, WSDL_NS, "portType")) {
    const name = portType.getAttribute("name") ?? "";
    const operations = new Map<string, WsdlOperation>();
    for (const operation of childElements(portType, WSDL_NS, "operation")) {
      const messageOf = (kind: string) => {
        const [child] = childElements(operation, WSDL_NS, kind);
        return child ? resolveName(child, child.getAttribute("message")) : undefined;
      };
      const input = messageOf("input");
      const output = messageOf("output");
      const operationName = operation.getAttribute("name") ?? "";
      operations.set(operationName, {
        name: operationName,
        line: lineOf(operation),
        ...(input === undefined ? {} : { input }),
        ...(output === undefined ? {} : { output }),
        faults: childElements(operation, WSDL_NS, "fault").map((fault) => ({
          name: fault.getAttribute("name") ?? "",
          message: resolveName(fault, fault.getAttribute("message")),
        })),
      });
    }
    portTypes.set(name, { name, line: lineOf(portType), operations });
  }

  const bindings = new Map<string, WsdlBinding>();
  for (const binding of childElements(root, WSDL_NS, "binding")) {
    const name = binding.getAttribute("name") ?? "";
    bindings.set(name, {
      name,
      line: lineOf(binding),
      type: resolveName(binding, binding.getAttribute("type")),
      operations: new Map(
        childElements(binding, WSDL_NS, "operation").map((operation) => {
          const operationName = operation.getAttribute("name") ?? "";
          return [operationName, { name: operationName, line: lineOf(operation) }];
        }),
      ),
    });
  }

  const services = new Map<string, WsdlService>();
  for (const service of childElements(root, WSDL_NS, "service")) {
    const name = service.getAttribute("name") ?? "";
    services.set(name, {
      name,
      line: lineOf(service),
      ports: childElements(service, WSDL_NS, "port").map((port) => ({
        name: port.getAttribute("name") ?? "",
        line: lineOf(port),
        binding: resolveName(port, port.getAttribute("binding")),
        location: childElements(port, SOAP_NS, "address")[0]?.getAttribute("location") || undefined,
      })),
    });
  }

  return {
    ok: true,
    document: { file, targetNamespace, types, elements, messages, portTypes, bindings, services },
  };
}
