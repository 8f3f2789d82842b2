import { Ajv, type ErrorObject, type Options, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import type { ContractSet, ResolvedRef } from "../source/contract-set.js";
import { pointerSegments } from "../source/yaml-document.js";
import { isNode } from "./contract-walk.js";

/**
 * The JSON Schema dialect a schema is read in: OpenAPI 3.1 uses JSON Schema 2020-12; AsyncAPI 3.0's default
 * schema format is a superset of draft-07. A shared schema is checked in the dialect of each document using it.
 */
export type Dialect = "2020-12" | "draft-07";

/** A made-up base URI under which every contract file is registered with ajv; ajv never fetches anything. */
const baseUri = "https://contracts.ecom.invalid/";

const ajvOptions: Options = {
  // OpenAPI and AsyncAPI add keywords (discriminator, xml, externalDocs, example, …) that plain JSON Schema
  // does not know; they are annotations, so ignore them rather than reject the schema.
  strict: false,
  allErrors: true,
  logger: false,
  // The registered "schemas" are whole contract files; only the nodes examples point at are schemas.
  validateSchema: false,
  // Hundreds of schemas are compiled once each and run a few times: compiling a shared schema once (not inlined
  // into every user) and skipping ajv's code optimisation passes halves the rule's time.
  inlineRefs: false,
  code: { optimize: false },
};

/** ajv's error for a `$ref` it cannot resolve; `ref/resolves` reports those, so they are skipped here. */
export const isMissingReference = (error: unknown) =>
  error instanceof Error &&
  (error.constructor.name === "MissingRefError" || /can't resolve reference/.test(error.message));

/** Compiles schemas by their location in the contract set, once per dialect and location. */
export class SchemaValidators {
  readonly #ajv = new Map<Dialect, Ajv>();
  readonly #compiled = new Map<string, ValidateFunction | Error>();

  constructor(private readonly context: { readonly set: ContractSet }) {}

  #instance(dialect: Dialect): Ajv {
    let ajv = this.#ajv.get(dialect);
    if (ajv) return ajv;
    ajv = dialect === "2020-12" ? new Ajv2020(ajvOptions) : new Ajv(ajvOptions);
    addFormats.default(ajv);
    const { set } = this.context;
    const documents = dialect === "2020-12" ? set.openapi : set.asyncapi;
    for (const map of [documents, set.shared]) {
      for (const [file, document] of map) {
        if (!isNode(document.value)) continue;
        try {
          ajv.addSchema(document.value, baseUri + file);
        } catch {
          // Two `$id`s clash: the schemas that need this file fail to compile and are reported there.
        }
      }
    }
    this.#ajv.set(dialect, ajv);
    return ajv;
  }

  /** The validator of the schema at `schema`, an Error when it cannot be compiled. */
  get(dialect: Dialect, schema: ResolvedRef): ValidateFunction | Error {
    const fragment = pointerSegments(schema.pointer)
      .map((segment) => `/${encodeURIComponent(segment.replace(/~/g, "~0").replace(/\//g, "~1"))}`)
      .join("");
    const key = `${dialect} ${baseUri}${schema.file}#${fragment}`;
    let validator = this.#compiled.get(key);
    if (!validator) {
      try {
        validator = this.#instance(dialect).getSchema(`${baseUri}${schema.file}#${fragment}`) ?? new Error("no schema");
      } catch (error) {
        validator = error instanceof Error ? error : new Error(String(error));
      }
      this.#compiled.set(key, validator);
    }
    return validator;
  }
}

/** One readable line for an ajv error: where in the value, and what is wrong. */
export function describeError(error: ErrorObject): string {
  const where = error.instancePath || "(root)";
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties")
    return `${where} has unexpected property '${String(params.additionalProperty)}'`;
  if (error.keyword === "enum")
    return `${where} must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(", ")}`;
  return `${where} ${error.message ?? "is invalid"}`;
}
