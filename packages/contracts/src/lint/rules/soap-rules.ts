import { contextOfFile } from "../../source/contract-set.js";
import { parseWsdl, type WsdlDocument, type WsdlProblem } from "../../source/wsdl-document.js";
import type { LintContext, LintRule } from "../lint-rule.js";

/** A WSDL file read once per lint run (every rule reads it). */
type Read =
  | { readonly ok: true; readonly document: WsdlDocument }
  | { readonly ok: false; readonly problems: WsdlProblem[] };

const readCache = new WeakMap<LintContext["set"], Map<string, Read>>();
function documents(context: LintContext): Map<string, Read> {
  let read = readCache.get(context.set);
  if (!read) {
    read = new Map([...context.set.soap].map(([path, text]) => [path, parseWsdl(path, text)]));
    readCache.set(context.set, read);
  }
  return read;
}

/** The operations the platform's code calls, by the context whose WSDL must offer them (seed 004's SOAP payment). */
export const CALLED_SOAP_OPERATIONS: Readonly<Record<string, readonly string[]>> = { payment: ["ProcessPayment"] };

/** `soap/wsdl-valid`: each `soap/<context>.wsdl` is well-formed WSDL 1.1 with a service, named after a context. */
export const soapWsdlValid: LintRule = {
  id: "soap/wsdl-valid",
  severity: "error",
  checks:
    "Each `soap/<context>.wsdl` is well-formed XML whose root is a WSDL 1.1 `wsdl:definitions` with a `targetNamespace` and at least one `wsdl:service`, for a context of `contexts.yaml`.",
  fix: "Fix the XML where the parser says; declare the service; name the file after the context that calls it.",
  check(context, report) {
    const contexts = context.contextMap()?.contexts;
    for (const [file, read] of documents(context)) {
      if (!read.ok) {
        for (const problem of read.problems) report({ file, line: problem.line }, `not a WSDL: ${problem.message}`);
        continue;
      }
      if (read.document.targetNamespace === "")
        report({ file, line: 1 }, "wsdl:definitions has no targetNamespace; give the contract one");
      if (read.document.services.size === 0)
        report({ file, line: 1 }, "the WSDL declares no wsdl:service; a client has nothing to call");
      const name = contextOfFile(file);
      if (contexts && !contexts.has(name))
        report({ file, line: 1 }, `no context "${name}" in contexts.yaml calls this service; name the file after one`);
    }
  },
};

/**
 * `soap/references-resolve`: everything a WSDL names is declared in it: element and field types, message parts'
 * elements and types, operations' messages, bindings' port types and operations, services' bindings.
 */
export const soapReferencesResolve: LintRule = {
  id: "soap/references-resolve",
  severity: "error",
  checks:
    "In each WSDL every named reference resolves: schema field and element types (an XSD built-in or a type of the contract), message parts' `element`/`type`, port type operations' input, output and fault messages, each binding's `type` and operations (those of its port type, no more, no fewer), and each service port's `binding`.",
  fix: "Declare what is referenced (in the target namespace) or correct the reference's name or prefix.",
  check(context, report) {
    for (const [file, read] of documents(context)) {
      if (!read.ok) continue;
      const wsdl = read.document;
      const typeKnown = (type: string) => type.startsWith("xsd:") || wsdl.types.has(type);
      for (const shape of [...wsdl.types.values(), ...wsdl.elements.values()]) {
        if (shape.typeRef !== undefined && !typeKnown(shape.typeRef))
          report(
            { file, line: shape.line },
            `element ${shape.name} is of type ${shape.typeRef}, which is not declared`,
          );
        for (const field of shape.fields) {
          if (!typeKnown(field.type))
            report(
              { file, line: field.line },
              `${shape.name}.${field.name} is of type ${field.type || "(none)"}, which is not declared`,
            );
        }
      }
      for (const message of wsdl.messages.values()) {
        for (const part of message.parts) {
          if (part.element !== undefined && !wsdl.elements.has(part.element))
            report(
              { file, line: part.line },
              `part ${part.name} of ${message.name} names element ${part.element}, which is not declared`,
            );
          else if (part.type !== undefined && !typeKnown(part.type))
            report(
              { file, line: part.line },
              `part ${part.name} of ${message.name} names type ${part.type}, which is not declared`,
            );
          else if (part.element === undefined && part.type === undefined)
            report(
              { file, line: part.line },
              `part ${part.name} of ${message.name} names neither an element nor a type`,
            );
        }
      }
      for (const portType of wsdl.portTypes.values()) {
        for (const operation of portType.operations.values()) {
          const messages = [operation.input, operation.output, ...operation.faults.map((fault) => fault.message)];
          for (const message of messages) {
            if (message !== undefined && !wsdl.messages.has(message))
              report(
                { file, line: operation.line },
                `operation ${operation.name} names message ${message}, which is not declared`,
              );
          }
        }
      }
      for (const binding of wsdl.bindings.values()) {
        const portType = wsdl.portTypes.get(binding.type);
        if (!portType) {
          report(
            { file, line: binding.line },
            `binding ${binding.name} is for port type ${binding.type}, which is not declared`,
          );
          continue;
        }
        for (const operation of binding.operations.values()) {
          if (!portType.operations.has(operation.name))
            report(
              { file, line: operation.line },
              `binding ${binding.name} binds ${operation.name}, which ${portType.name} lacks`,
            );
        }
        for (const operation of portType.operations.values()) {
          if (!binding.operations.has(operation.name))
            report(
              { file, line: binding.line },
              `binding ${binding.name} does not bind ${portType.name}'s ${operation.name}`,
            );
        }
      }
      for (const service of wsdl.services.values()) {
        for (const port of service.ports) {
          if (!wsdl.bindings.has(port.binding))
            report({ file, line: port.line }, `port ${port.name} uses binding ${port.binding}, which is not declared`);
        }
      }
    }
  },
};

/** `soap/called-operations`: the operations the code calls are offered by the service of the context's WSDL. */
export const soapCalledOperations: LintRule = {
  id: "soap/called-operations",
  severity: "error",
  checks:
    "Each operation the platform's code calls over SOAP (payment: `ProcessPayment`, seed 004) is an operation of a port type that a service of `soap/<context>.wsdl` binds, with an input and an output message.",
  fix: "Declare the operation in the port type, bind it, and expose the binding in a wsdl:service port.",
  check(context, report) {
    for (const [file, read] of documents(context)) {
      if (!read.ok) continue;
      const wsdl = read.document;
      const offered = new Map<string, { readonly input?: string; readonly output?: string }>();
      for (const service of wsdl.services.values()) {
        for (const port of service.ports) {
          const binding = wsdl.bindings.get(port.binding);
          const portType = binding ? wsdl.portTypes.get(binding.type) : undefined;
          for (const name of binding?.operations.keys() ?? []) {
            const operation = portType?.operations.get(name);
            if (operation) offered.set(name, operation);
          }
        }
      }
      for (const name of CALLED_SOAP_OPERATIONS[contextOfFile(file)] ?? []) {
        const operation = offered.get(name);
        if (!operation)
          report({ file, line: 1 }, `no service offers ${name}, which the ${contextOfFile(file)} context calls`);
        else if (operation.input === undefined || operation.output === undefined)
          report(
            { file, line: 1 },
            `${name} needs an input and an output message: the ${contextOfFile(file)} context reads its answer`,
          );
      }
    }
  },
};
