import { toPointer } from "../../source/yaml-document.js";
import { isNode } from "../contract-walk.js";
import type { LintRule } from "../lint-rule.js";

/** Property names that hold an amount of money. */
const moneyName = /(price|amount|total|subtotal|cost|fee|tax|discount|revenue|balance|refunded|captured|authorized)$/i;

const allowsNumber = (schema: unknown) =>
  isNode(schema) &&
  (schema.type === "number" ||
    (Array.isArray(schema.type) && schema.type.includes("number")) ||
    schema.format === "float" ||
    schema.format === "double");

/** Every `properties` map of a document, skipping example data. */
function* propertyMaps(
  value: unknown,
  path: (string | number)[] = [],
): Generator<{ properties: Record<string, unknown>; path: (string | number)[] }> {
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* propertyMaps(item, [...path, index]);
    return;
  }
  if (!isNode(value)) return;
  if (
    isNode(value.properties) &&
    (typeof value.type === "string" || Array.isArray(value.type) || "required" in value || path.length > 0)
  ) {
    yield { properties: value.properties, path: [...path, "properties"] };
  }
  for (const [key, item] of Object.entries(value)) {
    if (key === "example" || (key === "examples" && Array.isArray(item))) continue;
    if (key === "value" && path.at(-2) === "examples") continue;
    yield* propertyMaps(item, [...path, key]);
  }
}

/** `schema/money-minor-units`: money is never a floating-point number. */
export const moneyMinorUnits: LintRule = {
  id: "schema/money-minor-units",
  severity: "error",
  checks:
    "No schema property named like money (`price`, `amount`, `total`, `fee`, …) is a `number` or float: money is integer minor units plus a currency.",
  fix: "Use `$ref: ../common/schemas.yaml#/Money` (integer `amount` in minor units + ISO `currency`).",
  check(context, report) {
    const files = [...context.set.openapi.keys(), ...context.set.asyncapi.keys(), ...context.set.shared.keys()];
    for (const file of files) {
      for (const { properties, path } of propertyMaps(context.document(file)?.value)) {
        for (const [name, schema] of Object.entries(properties)) {
          if (!moneyName.test(name) || !allowsNumber(schema)) continue;
          report(
            { file, pointer: toPointer([...path, name]) },
            `${name} is a floating-point number; money is integer minor units with a currency: use $ref ../common/schemas.yaml#/Money`,
          );
        }
      }
    }
  },
};
