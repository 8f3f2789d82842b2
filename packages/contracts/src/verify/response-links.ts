import { child, entries } from "../lint/contract-walk.js";
import type { LintContext } from "../lint/lint-rule.js";
import { valueAt } from "../source/contract-set.js";
import type { VerifyResponse } from "./http-exchange.js";
import type { DocumentedResponse } from "./rest-operations.js";

/**
 * The parameter values a documented response's OpenAPI `links` give for the answer at hand: each link parameter
 * written as a runtime expression (`$response.body#/id`, `$response.header.Location`) is read from the answer.
 * Expressions of the request (`$request.…`) name nothing new and are skipped.
 */
export function linkedValues(
  view: LintContext,
  documented: DocumentedResponse,
  answer: VerifyResponse,
): Map<string, string> {
  const values = new Map<string, string>();
  for (const [, raw] of entries(child(documented.at, "links"))) {
    const link = view.deref(raw);
    if (!link) continue;
    for (const [name, expression] of entries(child(link, "parameters"))) {
      if (typeof expression.value !== "string") continue;
      // A parameter may be qualified by where it goes (`path.cartId`); verify binds by name.
      const parameter = name.replace(/^(path|query|header|cookie)\./, "");
      let value: unknown;
      if (expression.value.startsWith("$response.body#"))
        value = valueAt(answer.json, expression.value.slice("$response.body#".length));
      else if (expression.value === "$response.body") value = answer.json;
      else if (expression.value.startsWith("$response.header."))
        value = answer.headers.get(expression.value.slice("$response.header.".length));
      if (typeof value === "string" || typeof value === "number") values.set(parameter, String(value));
    }
  }
  return values;
}
