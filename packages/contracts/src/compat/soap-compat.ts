import { parseWsdl, type WsdlDocument, type XsdShape } from "../source/wsdl-document.js";
import type { CompareContext } from "./compare-context.js";
import { CompatError } from "./compat-error.js";
import type { ContractSnapshot } from "./contract-snapshot.js";

function read(snapshot: ContractSnapshot, path: string, label: string): WsdlDocument {
  const parsed = parseWsdl(path, snapshot.texts.get(path) ?? "");
  if (parsed.ok) return parsed.document;
  const [problem] = parsed.problems;
  throw new CompatError(
    "unparsable-contract",
    `${label} (${snapshot.origin}): ${path}:${problem?.line ?? 1}: ${problem?.message ?? "not a WSDL"}. Fix the file, then run again.`,
  );
}

/** Every type and top-level element by name (one namespace: the contract's). */
const shapesOf = (wsdl: WsdlDocument) => new Map<string, XsdShape>([...wsdl.types, ...wsdl.elements]);

/** Emit a `soap/<rule>` finding of the file being compared at `pointer` and `line` of the head file, or the base's. */
type Emit = (rule: string, pointer: string, line: number, message: string, side?: "base" | "head") => void;

/**
 * Compare the WSDL contracts (`soap/<context>.wsdl`) item by item: port type operations and their messages, message
 * parts, the inline schema's types and their elements, and services' ports, as `soap/<change>` findings at the
 * item's line in the head file (or the base's, when it is gone from the head). The rules are in rule-catalog.ts.
 */
export function compareSoap(context: CompareContext): void {
  const paths = new Set([...context.base.paths("soap"), ...context.head.paths("soap")]);
  for (const file of [...paths].sort()) {
    const baseText = context.base.texts.get(file);
    const headText = context.head.texts.get(file);
    if (baseText === headText) continue;
    const emit: Emit = (rule, pointer, line, message, side = "head") =>
      context.emit({ ruleId: `soap/${rule}`, kind: "soap", side, file, pointer, line, message });
    if (headText === undefined) {
      emit("wsdl-removed", "", 1, `the WSDL ${file} was removed; every call against it fails`, "base");
      continue;
    }
    if (baseText === undefined) {
      emit("wsdl-added", "", 1, `the WSDL ${file} was added`);
      continue;
    }
    const base = read(context.base, file, "base");
    const head = read(context.head, file, "head");
    compareOperations(base, head, emit);
    compareBindings(base, head, emit);
    compareParts(base, head, emit);
    compareShapes(base, head, emit);
    compareServices(base, head, emit);
  }
}

/** Operations, by the port type that declares them: removed, added, and their input, output and faults. */
function compareOperations(base: WsdlDocument, head: WsdlDocument, emit: Emit): void {
  for (const [name, basePortType] of base.portTypes) {
    const headPortType = head.portTypes.get(name);
    for (const [operationName, baseOperation] of basePortType.operations) {
      const pointer = `${name}.${operationName}`;
      const headOperation = headPortType?.operations.get(operationName);
      if (!headOperation) {
        emit(
          "operation-removed",
          pointer,
          headPortType?.line ?? baseOperation.line,
          `operation ${pointer} was removed; calls to it fail`,
          headPortType ? "head" : "base",
        );
        continue;
      }
      for (const role of ["input", "output"] as const) {
        if (baseOperation[role] !== headOperation[role])
          emit(
            "message-changed",
            pointer,
            headOperation.line,
            `the ${role} of ${pointer} is ${headOperation[role] ?? "gone"} (was ${baseOperation[role] ?? "none"})`,
          );
      }
      const headFaults = new Map(headOperation.faults.map((fault) => [fault.name, fault.message]));
      for (const fault of baseOperation.faults) {
        if (headFaults.get(fault.name) !== fault.message)
          emit(
            "message-changed",
            pointer,
            headOperation.line,
            `the fault ${fault.name} of ${pointer} changed or was removed`,
          );
      }
    }
    for (const [operationName, headOperation] of headPortType?.operations ?? []) {
      if (!basePortType.operations.has(operationName))
        emit(
          "operation-added",
          `${name}.${operationName}`,
          headOperation.line,
          `operation ${name}.${operationName} was added`,
        );
    }
  }
  for (const [name, headPortType] of head.portTypes) {
    if (base.portTypes.has(name)) continue;
    for (const [operationName, headOperation] of headPortType.operations)
      emit(
        "operation-added",
        `${name}.${operationName}`,
        headOperation.line,
        `operation ${name}.${operationName} was added`,
      );
  }
}

/** An operation a binding stops binding cannot be called either. */
function compareBindings(base: WsdlDocument, head: WsdlDocument, emit: Emit): void {
  for (const [name, baseBinding] of base.bindings) {
    const headBinding = head.bindings.get(name);
    for (const operationName of baseBinding.operations.keys()) {
      if (headBinding?.operations.has(operationName)) continue;
      if (!head.portTypes.get(baseBinding.type)?.operations.has(operationName)) continue; // compareOperations reports it
      emit(
        "operation-removed",
        `${name}.${operationName}`,
        headBinding?.line ?? 1,
        `binding ${name} no longer binds ${operationName}; calls to it fail`,
      );
    }
  }
}

/** Message parts: removed, changed and added. */
function compareParts(base: WsdlDocument, head: WsdlDocument, emit: Emit): void {
  for (const [name, baseMessage] of base.messages) {
    const headMessage = head.messages.get(name);
    if (!headMessage) continue; // an operation naming it is reported as message-changed
    const headParts = new Map(headMessage.parts.map((part) => [part.name, part]));
    for (const part of baseMessage.parts) {
      const headPart = headParts.get(part.name);
      const pointer = `${name}.${part.name}`;
      if (!headPart) emit("part-removed", pointer, headMessage.line, `part ${pointer} was removed`);
      else if (headPart.element !== part.element || headPart.type !== part.type)
        emit(
          "part-changed",
          pointer,
          headPart.line,
          `part ${pointer} is ${headPart.element ?? headPart.type} (was ${part.element ?? part.type})`,
        );
    }
    for (const part of headMessage.parts) {
      if (!baseMessage.parts.some((candidate) => candidate.name === part.name))
        emit("part-added", `${name}.${part.name}`, part.line, `part ${name}.${part.name} was added`);
    }
  }
}

/** The schema's types and top-level elements, and their elements. */
function compareShapes(base: WsdlDocument, head: WsdlDocument, emit: Emit): void {
  const baseShapes = shapesOf(base);
  const headShapes = shapesOf(head);
  for (const [name, baseShape] of baseShapes) {
    const headShape = headShapes.get(name);
    if (!headShape) {
      emit("type-removed", name, baseShape.line, `${name} was removed from the schema`, "base");
      continue;
    }
    if (baseShape.typeRef !== headShape.typeRef)
      emit(
        "element-type-changed",
        name,
        headShape.line,
        `${name} is of type ${headShape.typeRef ?? "(inline)"} (was ${baseShape.typeRef ?? "(inline)"})`,
      );
    const headFields = new Map(headShape.fields.map((field) => [field.name, field]));
    for (const field of baseShape.fields) {
      const pointer = `${name}.${field.name}`;
      const headField = headFields.get(field.name);
      if (!headField) {
        emit("element-removed", pointer, headShape.line, `${pointer} was removed`);
        continue;
      }
      if (headField.type !== field.type || headField.repeated !== field.repeated) {
        const shown = (type: string, repeated: boolean) => `${type}${repeated ? "[]" : ""}`;
        emit(
          "element-type-changed",
          pointer,
          headField.line,
          `${pointer} is ${shown(headField.type, headField.repeated)} (was ${shown(field.type, field.repeated)})`,
        );
      }
      if (field.optional && !headField.optional)
        emit("element-became-required", pointer, headField.line, `${pointer} became required`);
      if (!field.optional && headField.optional)
        emit("element-became-optional", pointer, headField.line, `${pointer} became optional`);
    }
    for (const field of headShape.fields) {
      if (baseShape.fields.some((candidate) => candidate.name === field.name)) continue;
      const pointer = `${name}.${field.name}`;
      if (field.optional) emit("optional-element-added", pointer, field.line, `optional ${pointer} was added`);
      else emit("required-element-added", pointer, field.line, `required ${pointer} was added`);
    }
  }
  for (const [name, headShape] of headShapes) {
    if (!baseShapes.has(name)) emit("type-added", name, headShape.line, `${name} was added to the schema`);
  }
}

/** Services and their ports: a port that is gone. */
function compareServices(base: WsdlDocument, head: WsdlDocument, emit: Emit): void {
  for (const [name, baseService] of base.services) {
    const headService = head.services.get(name);
    for (const port of baseService.ports) {
      if (headService?.ports.some((candidate) => candidate.name === port.name)) continue;
      emit(
        "service-removed",
        `${name}.${port.name}`,
        headService?.line ?? port.line,
        `port ${port.name} of service ${name} was removed`,
        headService ? "head" : "base",
      );
    }
  }
}
