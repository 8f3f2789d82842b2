import { pointerSegments, toPointer } from "../source/yaml-document.js";
import type { ContractSnapshot, Located } from "./contract-snapshot.js";
import type { SchemaChange, Side } from "./rule-catalog.js";
import {
  coversTypes,
  type JsonType,
  lowerBounds,
  restrictions,
  type SchemaView,
  upperBounds,
  valueKey,
  viewOf,
} from "./schema-view.js";

/** One change found between two schemas, located in the head contract (for a removal: where it was). */
export interface SchemaDifference {
  readonly change: SchemaChange;
  readonly file: string;
  readonly pointer: string;
  readonly message: string;
}

/** Where a finding points: a file and a JSON Pointer in it. */
interface At {
  readonly file: string;
  readonly pointer: string;
}

const deeper = (at: At, ...segments: string[]): At => ({ file: at.file, pointer: at.pointer + toPointer(segments) });

/**
 * A readable name for the schema at `pointer`: `Cart.items[].quantity` for
 * `/components/schemas/Cart/properties/items/items/properties/quantity`, `Money.amount` in a shared file.
 */
export function schemaLabel(file: string, pointer: string): string {
  const segments = pointerSegments(pointer);
  let name = "";
  let start = 0;
  const schemas = segments.indexOf("schemas");
  if (schemas >= 0 && schemas + 1 < segments.length) {
    name = segments[schemas + 1] ?? "";
    start = schemas + 2;
  } else if (!file.startsWith("openapi/") && !file.startsWith("asyncapi/") && segments.length > 0) {
    name = segments[0] ?? "";
    start = 1;
  } else {
    const markers = ["schema", "payload", "headers"];
    for (let index = segments.length - 1; index >= 0; index--) {
      if (markers.includes(segments[index] ?? "")) {
        name = segments[index] ?? "";
        start = index + 1;
        break;
      }
    }
  }
  let chain = "";
  for (let index = start; index < segments.length; index++) {
    const segment = segments[index];
    const next = segments[index + 1];
    if (segment === "properties" && next !== undefined) {
      chain += `.${next}`;
      index++;
    } else if (segment === "patternProperties" && next !== undefined) {
      chain += `{${next}}`;
      index++;
    } else if (segment === "items") chain += "[]";
    else if (segment === "additionalProperties") chain += "{*}";
    else if ((segment === "allOf" || segment === "oneOf" || segment === "anyOf") && next !== undefined) index++;
  }
  const label = `${name}${chain}`;
  return label.startsWith(".") ? label.slice(1) : label || "schema";
}

const list = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join(", ");
const typeList = (types: ReadonlySet<JsonType>) => [...types].sort().join(" | ") || "nothing";

/**
 * Compares two schemas on one side of an exchange, following `$ref`s into any file of the contracts and through
 * properties, `additionalProperties`, `items`, `allOf`, `oneOf` and `anyOf`. Every pair of schemas is compared
 * once per side (the result is remembered), and a pair met again while it is still being compared (a recursive
 * schema) contributes nothing more, which is what makes cycles terminate.
 */
export class SchemaDiffer {
  readonly #base: ContractSnapshot;
  readonly #head: ContractSnapshot;
  readonly #dirty: ReadonlySet<string>;
  readonly #memo = new Map<string, readonly SchemaDifference[]>();
  readonly #inProgress = new Set<string>();

  /** `dirty`: files whose meaning may differ (see `dirtyFiles`); a schema in any other file is skipped as unchanged. */
  constructor(base: ContractSnapshot, head: ContractSnapshot, dirty: ReadonlySet<string>) {
    this.#base = base;
    this.#head = head;
    this.#dirty = dirty;
  }

  /**
   * The differences between the schema made of `base` and the one made of `head` (an empty list means "any
   * value"); `at` locates findings about the schema as a whole when `head` is empty.
   */
  compare(base: readonly Located[], head: readonly Located[], side: Side, at?: At): readonly SchemaDifference[] {
    const baseView = viewOf(base, this.#base);
    const headView = viewOf(head, this.#head);
    return this.#compareViews(baseView, headView, side, at ?? head[0] ?? base[0] ?? { file: "", pointer: "" });
  }

  #compareViews(base: SchemaView, head: SchemaView, side: Side, at: At): readonly SchemaDifference[] {
    if (
      base.id === head.id &&
      base.parts.length > 0 &&
      base.parts.every((part) => !this.#dirty.has(part.file)) &&
      head.parts.every((part) => !this.#dirty.has(part.file))
    ) {
      return [];
    }
    // When both sides are the same schema (the same component, edited), a change is located where it was made,
    // inside that component; when a reference was pointed elsewhere, it is located where the reference is.
    const sameSchema = base.id === head.id && head.parts.length > 0;
    const headAt = sameSchema ? (head.parts[0] ?? at) : at;
    const key = `${side}|${base.id}|${head.id}|${sameSchema ? "" : `${at.file}#${at.pointer}`}`;
    const known = this.#memo.get(key);
    if (known) return known;
    // A recursive schema that comes back to a pair still being compared adds nothing: the first visit reports it.
    if (this.#inProgress.has(key)) return [];
    this.#inProgress.add(key);
    const out: SchemaDifference[] = [];
    this.#compareNode(base, head, side, { file: headAt.file, pointer: headAt.pointer }, out);
    this.#inProgress.delete(key);
    this.#memo.set(key, out);
    return out;
  }

  #compareNode(base: SchemaView, head: SchemaView, side: Side, at: At, out: SchemaDifference[]): void {
    const label = schemaLabel(at.file, at.pointer);
    const push = (change: SchemaChange, where: At, message: string) =>
      out.push({ change, file: where.file, pointer: where.pointer, message });

    if (base.unresolved !== undefined || head.unresolved !== undefined) {
      if (base.unresolved !== head.unresolved) {
        push(
          "unresolved-ref",
          at,
          `${label}: cannot resolve $ref ${JSON.stringify(head.unresolved ?? base.unresolved)}; fix the reference so the change can be checked`,
        );
      }
      return;
    }
    if (base.never || head.never) {
      if (base.never && !head.never)
        push("constraint-loosened", at, `${label}: accepted nothing (false), now accepts values`);
      if (!base.never && head.never) push("constraint-tightened", at, `${label}: now accepts nothing (false)`);
      return;
    }
    if (base.any && head.any) return;
    if (base.any) {
      push("constraint-tightened", at, `${label}: was unconstrained (any value), now has a schema`);
      return;
    }
    if (head.any) {
      push("constraint-loosened", at, `${label}: had a schema, now accepts any value`);
      return;
    }

    if (!base.union !== !head.union) {
      // One side is a union and the other is not: compare the plain side as the union's only branch, so that
      // `X` becoming `oneOf: [X, Y]` reads as a branch added rather than a type change.
      const keyword = (base.union ?? head.union)?.keyword ?? "oneOf";
      this.#compareBranches(
        keyword,
        base.union ? base.union.branches.map((branch) => [branch]) : [base.parts],
        head.union ? head.union.branches.map((branch) => [branch]) : [head.parts],
        side,
        head.union?.at ?? at,
        out,
      );
      this.#compareNullable(base, head, label, at, push);
      return;
    }

    if (!this.#compareTypes(base, head, label, at, push)) return;
    this.#compareNullable(base, head, label, at, push);
    this.#compareEnums(base, head, label, at, push);
    this.#compareKeywords(base, head, label, at, push);
    if (base.objectish || head.objectish) this.#compareObjects(base, head, side, label, at, out);
    if (base.items || head.items) {
      out.push(...this.compare(base.items ?? [], head.items ?? [], side, deeper(at, "items")));
    }
    if (base.union && head.union) {
      this.#compareBranches(
        head.union.keyword,
        base.union.branches.map((branch) => [branch]),
        head.union.branches.map((branch) => [branch]),
        side,
        head.union.at,
        out,
      );
    }
    for (const keyword of new Set([...base.other.keys(), ...head.other.keys()])) {
      const before = base.other.get(keyword);
      const after = head.other.get(keyword);
      if (valueKey(before) !== valueKey(after)) {
        const what = before === undefined ? "added" : after === undefined ? "removed" : "changed";
        push(
          "keyword-changed",
          deeper(at, keyword),
          `${label}: \`${keyword}\` ${what}; check by hand whether it accepts less`,
        );
      }
    }
  }

  /** Returns false when the types are unrelated, after which nothing else about the node is worth comparing. */
  #compareTypes(
    base: SchemaView,
    head: SchemaView,
    label: string,
    at: At,
    push: (change: SchemaChange, where: At, message: string) => void,
  ): boolean {
    const before = base.types;
    const after = head.types;
    const where = deeper(at, "type");
    if (before && after) {
      const wider = coversTypes(after, before);
      const narrower = coversTypes(before, after);
      if (wider && narrower) return true;
      if (wider) push("type-widened", where, `${label}: type widened from ${typeList(before)} to ${typeList(after)}`);
      else if (narrower)
        push("type-narrowed", where, `${label}: type narrowed from ${typeList(before)} to ${typeList(after)}`);
      else {
        push("type-changed", where, `${label}: type changed from ${typeList(before)} to ${typeList(after)}`);
        return false;
      }
    } else if (after) push("type-narrowed", where, `${label}: type restricted to ${typeList(after)} (was any type)`);
    else if (before) push("type-widened", where, `${label}: type no longer restricted (was ${typeList(before)})`);
    return true;
  }

  #compareNullable(
    base: SchemaView,
    head: SchemaView,
    label: string,
    at: At,
    push: (change: SchemaChange, where: At, message: string) => void,
  ): void {
    if (base.nullable && !head.nullable) push("nullable-removed", at, `${label}: null is no longer allowed`);
    if (!base.nullable && head.nullable) push("nullable-added", at, `${label}: null is now allowed`);
  }

  #compareEnums(
    base: SchemaView,
    head: SchemaView,
    label: string,
    at: At,
    push: (change: SchemaChange, where: At, message: string) => void,
  ): void {
    const before = base.enumValues;
    const after = head.enumValues;
    const where = deeper(at, "enum");
    if (before && after) {
      const beforeKeys = new Set(before.map(valueKey));
      const afterKeys = new Set(after.map(valueKey));
      const removed = before.filter((value) => !afterKeys.has(valueKey(value)));
      const added = after.filter((value) => !beforeKeys.has(valueKey(value)));
      if (removed.length > 0) push("enum-value-removed", where, `${label}: enum value ${list(removed)} removed`);
      if (added.length > 0) push("enum-value-added", where, `${label}: enum value ${list(added)} added`);
    } else if (after) push("constraint-tightened", where, `${label}: now limited to the values ${list(after)}`);
    else if (before) push("constraint-loosened", where, `${label}: no longer limited to the values ${list(before)}`);
  }

  #compareKeywords(
    base: SchemaView,
    head: SchemaView,
    label: string,
    at: At,
    push: (change: SchemaChange, where: At, message: string) => void,
  ): void {
    const where = (keyword: string) => {
      const holder = head.keywords.get(keyword)?.at;
      return holder ? { file: holder.file, pointer: `${holder.pointer}/${keyword}` } : deeper(at, keyword);
    };
    for (const keyword of [...upperBounds, ...lowerBounds]) {
      const before = base.keywords.get(keyword)?.value;
      const after = head.keywords.get(keyword)?.value;
      if (before === after) continue;
      const upper = upperBounds.includes(keyword);
      const b = typeof before === "number" ? before : undefined;
      const a = typeof after === "number" ? after : undefined;
      if (b === undefined && a !== undefined) {
        push("constraint-tightened", where(keyword), `${label}: ${keyword} ${a} added`);
      } else if (b !== undefined && a === undefined) {
        push("constraint-loosened", where(keyword), `${label}: ${keyword} ${b} removed`);
      } else if (b !== undefined && a !== undefined) {
        const tighter = upper ? a < b : a > b;
        const verb = a < b ? "lowered" : "raised";
        push(
          tighter ? "constraint-tightened" : "constraint-loosened",
          where(keyword),
          `${label}: ${keyword} ${verb} from ${b} to ${a}`,
        );
      }
    }
    for (const keyword of restrictions) {
      const before = base.keywords.get(keyword)?.value;
      const after = head.keywords.get(keyword)?.value;
      if (valueKey(before) === valueKey(after)) continue;
      if (before === undefined)
        push("constraint-tightened", where(keyword), `${label}: ${keyword} ${JSON.stringify(after)} added`);
      else if (after === undefined)
        push("constraint-loosened", where(keyword), `${label}: ${keyword} ${JSON.stringify(before)} removed`);
      else
        push(
          "constraint-changed",
          where(keyword),
          `${label}: ${keyword} changed from ${JSON.stringify(before)} to ${JSON.stringify(after)}`,
        );
    }
    const before = base.keywords.get("multipleOf")?.value;
    const after = head.keywords.get("multipleOf")?.value;
    if (before !== after) {
      if (typeof after === "number" && typeof before !== "number")
        push("constraint-tightened", where("multipleOf"), `${label}: multipleOf ${after} added`);
      else if (typeof before === "number" && typeof after !== "number")
        push("constraint-loosened", where("multipleOf"), `${label}: multipleOf ${before} removed`);
      else if (typeof before === "number" && typeof after === "number") {
        const message = `${label}: multipleOf changed from ${before} to ${after}`;
        if (after % before === 0) push("constraint-tightened", where("multipleOf"), message);
        else if (before % after === 0) push("constraint-loosened", where("multipleOf"), message);
        else push("constraint-changed", where("multipleOf"), message);
      }
    }
    const uniqueBefore = base.keywords.get("uniqueItems")?.value === true;
    const uniqueAfter = head.keywords.get("uniqueItems")?.value === true;
    if (!uniqueBefore && uniqueAfter)
      push("constraint-tightened", where("uniqueItems"), `${label}: items must now be unique`);
    if (uniqueBefore && !uniqueAfter)
      push("constraint-loosened", where("uniqueItems"), `${label}: items no longer need to be unique`);
    const defaultBefore = base.keywords.get("default");
    const defaultAfter = head.keywords.get("default");
    if (valueKey(defaultBefore?.value) !== valueKey(defaultAfter?.value)) {
      push(
        "default-changed",
        where("default"),
        `${label}: default ${defaultBefore ? JSON.stringify(defaultBefore.value) : "(none)"} → ${defaultAfter ? JSON.stringify(defaultAfter.value) : "(none)"}`,
      );
    }
  }

  #compareObjects(
    base: SchemaView,
    head: SchemaView,
    side: Side,
    label: string,
    at: At,
    out: SchemaDifference[],
  ): void {
    const push = (change: SchemaChange, where: At, message: string) =>
      out.push({ change, file: where.file, pointer: where.pointer, message });
    const container = head.parts.find((part) => (part.value as Record<string, unknown>).properties) ?? head.parts[0];
    const containerAt: At = container ? { file: container.file, pointer: container.pointer } : at;
    const names = new Set([...base.properties.keys(), ...head.properties.keys(), ...base.required, ...head.required]);
    for (const name of [...names].sort()) {
      const before = effectiveProperty(base, name);
      const after = effectiveProperty(head, name);
      const declaredAt =
        after.kind === "declared" && after.nodes[0]
          ? { file: after.nodes[0].file, pointer: after.nodes[0].pointer }
          : deeper(containerAt, "properties", name);
      if (this.#ignoredOnSide(before, after, side)) continue;
      const wasRequired = base.required.has(name);
      const isRequired = head.required.has(name);
      const property = `${label}.${name}`;
      if (before.kind === "closed" && after.kind === "closed") continue;
      if (before.kind === "closed") {
        if (isRequired) push("required-property-added", declaredAt, `${property}: required property added`);
        else push("property-added", declaredAt, `${property}: optional property added to a closed object`);
        continue;
      }
      if (after.kind === "closed") {
        if (wasRequired) push("required-property-removed", declaredAt, `${property}: required property removed`);
        else push("property-removed", declaredAt, `${property}: property removed from a closed object`);
        continue;
      }
      if (before.kind !== "open" || after.kind !== "open") {
        out.push(...this.compare(nodesOf(before), nodesOf(after), side, declaredAt));
      }
      if (wasRequired && !isRequired) push("property-became-optional", declaredAt, `${property}: no longer required`);
      if (!wasRequired && isRequired) push("property-became-required", declaredAt, `${property}: now required`);
    }
    const before = base.additional;
    const after = head.additional;
    const where = deeper(containerAt, "additionalProperties");
    if (before === false && after !== false) {
      push(
        "constraint-loosened",
        where,
        `${label}: additionalProperties: false removed; undeclared properties are now allowed`,
      );
    } else if (before !== false && after === false) {
      push(
        "constraint-tightened",
        where,
        `${label}: closed with additionalProperties: false; undeclared properties are now rejected`,
      );
    } else if (before !== false && after !== false && (before !== undefined || after !== undefined)) {
      out.push(...this.compare(before ?? [], after ?? [], side, where));
    }
    for (const pattern of new Set([...base.patternProperties.keys(), ...head.patternProperties.keys()])) {
      const b = base.patternProperties.get(pattern);
      const a = head.patternProperties.get(pattern);
      const patternAt = deeper(containerAt, "patternProperties", pattern);
      if (b && a) out.push(...this.compare(b, a, side, patternAt));
      else
        push(
          "keyword-changed",
          patternAt,
          `${label}: patternProperties ${JSON.stringify(pattern)} ${b ? "removed" : "added"}`,
        );
    }
  }

  /** A `readOnly` property is never sent by clients and a `writeOnly` one never returned to them. */
  #ignoredOnSide(before: EffectiveProperty, after: EffectiveProperty, side: Side): boolean {
    const views: SchemaView[] = [];
    if (before.kind === "declared") views.push(viewOf(before.nodes, this.#base));
    if (after.kind === "declared") views.push(viewOf(after.nodes, this.#head));
    if (views.length === 0) return false;
    return views.every((view) => (side === "request" ? view.readOnly : view.writeOnly));
  }

  #compareBranches(
    keyword: "oneOf" | "anyOf",
    baseBranches: readonly (readonly Located[])[],
    headBranches: readonly (readonly Located[])[],
    side: Side,
    at: At,
    out: SchemaDifference[],
  ): void {
    const baseViews = baseBranches.map((nodes) => ({ nodes, view: viewOf(nodes, this.#base) }));
    const headViews = headBranches.map((nodes) => ({ nodes, view: viewOf(nodes, this.#head) }));
    const pairs: [(typeof baseViews)[number], (typeof headViews)[number]][] = [];
    const leftBase = new Set(baseViews);
    const leftHead = new Set(headViews);
    // Match branches by what most likely identifies them, strongest first: where they are defined (a $ref to the
    // same component), their title, their discriminating constant, their whole value.
    type Branch = { nodes: readonly Located[]; view: SchemaView };
    const signatures: ((branch: Branch, snapshot: ContractSnapshot) => string | undefined)[] = [
      (branch) => (branch.view.parts.length > 0 ? branch.view.id : undefined),
      (branch) => titleOf(branch.nodes),
      (branch, snapshot) => discriminatorOf(branch.view, snapshot),
      (branch) => valueKey(branch.nodes.map((node) => node.value)),
    ];
    for (const signature of signatures) {
      for (const b of [...leftBase]) {
        const key = signature(b, this.#base);
        if (key === undefined) continue;
        const match = [...leftHead].find((h) => signature(h, this.#head) === key);
        if (match) {
          pairs.push([b, match]);
          leftBase.delete(b);
          leftHead.delete(match);
        }
      }
    }
    if (leftBase.size === leftHead.size) {
      // The same number left on each side: the same branches, edited in place.
      const heads = [...leftHead];
      [...leftBase].forEach((b, index) => {
        const h = heads[index];
        if (h) pairs.push([b, h]);
      });
      leftBase.clear();
      leftHead.clear();
    }
    for (const [b, h] of pairs) {
      const headAt = h.nodes[0] ?? at;
      out.push(...this.compare(b.nodes, h.nodes, side, { file: headAt.file, pointer: headAt.pointer }));
    }
    const change = keyword === "oneOf" ? "one-of-branch" : "any-of-branch";
    const label = schemaLabel(at.file, at.pointer);
    for (const b of leftBase) {
      out.push({
        change: `${change}-removed`,
        file: at.file,
        pointer: `${at.pointer}/${keyword}`,
        message: `${label}: ${keyword} branch ${branchName(b.nodes, b.view)} removed`,
      });
    }
    for (const h of leftHead) {
      const headAt = h.nodes[0] ?? at;
      out.push({
        change: `${change}-added`,
        file: headAt.file,
        pointer: headAt.pointer,
        message: `${label}: ${keyword} branch ${branchName(h.nodes, h.view)} added`,
      });
    }
  }
}

type EffectiveProperty =
  | { readonly kind: "declared"; readonly nodes: readonly Located[] }
  | { readonly kind: "additional"; readonly nodes: readonly Located[] }
  | { readonly kind: "open" }
  | { readonly kind: "closed" };

/** What a schema says about property `name`: declared, allowed as an additional property, open, or rejected. */
function effectiveProperty(view: SchemaView, name: string): EffectiveProperty {
  const declared = view.properties.get(name);
  if (declared) return { kind: "declared", nodes: declared };
  for (const [pattern, nodes] of view.patternProperties) {
    try {
      if (new RegExp(pattern, "u").test(name)) return { kind: "additional", nodes };
    } catch {
      // A pattern JavaScript cannot compile matches nothing here; `contracts lint` reports it.
    }
  }
  if (view.additional === false) return { kind: "closed" };
  if (view.additional) return { kind: "additional", nodes: view.additional };
  return { kind: "open" };
}

const nodesOf = (property: EffectiveProperty): readonly Located[] =>
  property.kind === "declared" || property.kind === "additional" ? property.nodes : [];

function titleOf(nodes: readonly Located[]): string | undefined {
  const value = nodes[0]?.value as Record<string, unknown> | undefined;
  return typeof value?.title === "string" ? `title:${value.title}` : undefined;
}

/** `type=gift` when the branch has a property fixed to one value (`const` or a one-value `enum`). */
function discriminatorOf(view: SchemaView, snapshot: ContractSnapshot): string | undefined {
  for (const [name, nodes] of view.properties) {
    const values = viewOf(nodes, snapshot).enumValues;
    if (values?.length === 1) return `${name}=${valueKey(values[0])}`;
  }
  return undefined;
}

function branchName(nodes: readonly Located[], view: SchemaView): string {
  const value = nodes[0]?.value as Record<string, unknown> | undefined;
  if (typeof value?.$ref === "string") return value.$ref.split("/").pop() ?? value.$ref;
  if (typeof value?.title === "string") return JSON.stringify(value.title);
  const part = view.parts[0];
  return part ? schemaLabel(part.file, part.pointer) : "(any)";
}
