import type { LintRule } from "../lint-rule.js";
import { at, declarations, mapFile, withMap } from "./context-map-shared.js";

/** `context-map/entity-one-owner`: each original fact is owned by one context. */
export const entityOneOwner: LintRule = {
  id: "context-map/entity-one-owner",
  severity: "error",
  checks: "An entity of kind `fact` is owned by exactly one context (others may hold projections of it).",
  fix: "Keep the fact in its owning context; elsewhere make it a projection (`kind: projection`, `builtFrom:` the owner's events).",
  check: withMap((map, _context, report) => {
    const owners = new Map<string, { context: string; pointer: string }[]>();
    for (const entry of map.contexts.values()) {
      for (const entity of entry.entities) {
        if (entity.kind !== "fact") continue;
        const list = owners.get(entity.name) ?? [];
        list.push({ context: entry.name, pointer: entity.pointer });
        owners.set(entity.name, list);
      }
    }
    for (const [entity, list] of owners) {
      if (list.length < 2) continue;
      const names = list.map(({ context }) => context).join(" and ");
      for (const owner of list) {
        report(
          { file: mapFile, pointer: owner.pointer },
          `${entity} is a fact of ${names}; one context owns each entity: keep it in one and make the others projections`,
        );
      }
    }
  }),
};

/** `context-map/read-model-owns-no-facts`: a read model owns only projections. */
export const readModelOwnsNoFacts: LintRule = {
  id: "context-map/read-model-owns-no-facts",
  severity: "error",
  checks: "A context with `readModel: true` owns no entity of kind `fact`.",
  fix: "Make the entity a projection built from events, move it to the context that owns the fact, or set `readModel: false`.",
  check: withMap((map, _context, report) => {
    for (const entry of map.contexts.values()) {
      if (!entry.readModel) continue;
      for (const entity of entry.entities) {
        if (entity.kind === "fact") {
          report(
            { file: mapFile, pointer: `${entity.pointer}/kind` },
            `${entry.name} is a read model and may own no original facts, but ${entity.name} is a fact; make it a projection built from events, or set readModel: false`,
          );
        }
      }
    }
  }),
};

/** `context-map/projection-built-from-known-events`: projections name the events they are built from. */
export const projectionBuiltFromKnownEvents: LintRule = {
  id: "context-map/projection-built-from-known-events",
  severity: "error",
  checks:
    "Each projection lists `builtFrom` events; each is published by some context and is in the owning context's `subscribes` (or published by that context itself).",
  fix: "List the events under `builtFrom`, fix their names, and add each to the context's `subscribes`.",
  check: withMap((map, _context, report) => {
    const published = declarations(map, "publishes");
    for (const entry of map.contexts.values()) {
      const subscribed = new Set(entry.subscribes.map(({ value }) => value));
      // A context may project its own events (review's rating aggregate from its published reviews).
      const ownEvents = new Set(entry.publishes.map(({ value }) => value));
      for (const entity of entry.entities) {
        if (entity.kind !== "projection") {
          if (entity.kind === "fact" && entity.builtFrom.length > 0) {
            report(
              { file: mapFile, pointer: `${entity.pointer}/builtFrom` },
              `${entity.name} is a fact, yet lists builtFrom; drop builtFrom or make it a projection`,
              "warning",
            );
          }
          continue;
        }
        if (entity.builtFrom.length === 0) {
          report(
            { file: mapFile, pointer: entity.pointer },
            `projection ${entity.name} names no events; list the events it is built from under builtFrom`,
          );
        }
        for (const event of entity.builtFrom) {
          if (!published.has(event.value)) {
            report(at(event), `${entity.name} is built from ${event.value}, which no context publishes; fix the name`);
          } else if (!subscribed.has(event.value) && !ownEvents.has(event.value)) {
            report(
              at(event),
              `${entity.name} is built from ${event.value}, which ${entry.name} does not subscribe to; add it to contexts.${entry.name}.subscribes`,
            );
          }
        }
      }
    }
  }),
};
