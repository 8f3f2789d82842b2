import { type Result, SdkError, SdkErrorCode } from "./errors.js";
import type { EcomMessage, MessageOf, MessageType } from "./gen/events.js";
import { messageRegistry } from "./gen/registry.js";
import * as validators from "./gen/validators/messages.js";
import type { CompiledValidator } from "./runtime/v1/rest-operation.js";
import { contractIssues } from "./runtime/v1/validation-issues.js";

const compiled = validators as unknown as Readonly<Record<string, CompiledValidator>>;

const issuesOf = (validator: CompiledValidator, base: string) => contractIssues(validator.errors, base);

/**
 * Each type's validator, found once: looking a name up among the ~130 exports of the validators' module namespace
 * cost more than running most of the validators (a checkout publishes ten events, each validated).
 */
const validatorsByType = new Map<MessageType, CompiledValidator>();

function validatorOf(type: MessageType): CompiledValidator {
  let validator = validatorsByType.get(type);
  if (validator === undefined) {
    const name = messageRegistry[type].validator;
    validator = compiled[name];
    if (!validator) throw new Error(`the generated validators lack ${name}; run \`npx ecom codegen\``);
    validatorsByType.set(type, validator);
  }
  return validator;
}

/** True when `type` is an event or command type the contracts define. */
export function isMessageType(type: string): type is MessageType {
  return Object.hasOwn(messageRegistry, type);
}

/** Options of {@link parseEvent}. */
export interface ParseEventOptions {
  /**
   * What to do with properties the contract this SDK was generated from does not know (a producer on a newer minor
   * version of the contract added them): `reject` them as invalid (the default, strict), or `drop` them and accept
   * the rest, as a tolerant reader does. Anything else that breaks the schema is rejected either way.
   */
  readonly unknownProperties?: "reject" | "drop";
}

/**
 * Remove, from a copy of `value`, the properties a validator reported as not allowed, and validate again; repeats
 * while that is all that is wrong (nested unknown properties surface one level at a time).
 */
function withoutUnknownProperties(validator: CompiledValidator, value: unknown): { value: unknown; valid: boolean } {
  const current = structuredClone(value);
  for (let pass = 0; pass < 16; pass++) {
    if (validator(current)) return { value: current, valid: true };
    const errors = validator.errors ?? [];
    if (errors.length === 0 || errors.some((error) => error.keyword !== "additionalProperties")) break;
    for (const error of errors) {
      let holder = current as Record<string, unknown>;
      for (const segment of error.instancePath.split("/").slice(1)) {
        holder = holder[segment.replace(/~1/g, "/").replace(/~0/g, "~")] as Record<string, unknown>;
      }
      delete holder[String(error.params.additionalProperty)];
    }
  }
  return { value: current, valid: validator(current) };
}

/**
 * Parse and validate one message in the platform envelope (a JSON string or an already parsed object): the
 * envelope against the contract, `eventType` against the registry, the payload against its type's schema.
 * Returns the message typed as a union discriminated on `eventType`, or an {@link SdkError} with the issues.
 */
export function parseEvent(input: string | unknown, options: ParseEventOptions = {}): Result<EcomMessage> {
  let value: unknown = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (error) {
      return { error: new SdkError(SdkErrorCode.malformed, `The message is not JSON: ${(error as Error).message}`) };
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      error: new SdkError(
        SdkErrorCode.malformed,
        "The message must be a JSON object with envelope fields and a payload",
      ),
    };
  }
  const tolerant = options.unknownProperties === "drop";
  let { payload, ...metadata } = value as Record<string, unknown>;
  const envelope = compiled.envelope!;
  if (tolerant) metadata = withoutUnknownProperties(envelope, metadata).value as Record<string, unknown>;
  if (!envelope(metadata)) {
    return {
      error: new SdkError(
        SdkErrorCode.invalidEnvelope,
        "The message's envelope does not match contracts/common/schemas.yaml#/EventEnvelope",
        issuesOf(envelope, ""),
      ),
    };
  }
  const type = String(metadata.eventType);
  if (!isMessageType(type)) {
    return {
      error: new SdkError(
        SdkErrorCode.unknownType,
        `Unknown event type ${type}; the contracts define ${Object.keys(messageRegistry).length} types`,
      ),
    };
  }
  const entry = messageRegistry[type];
  const validator = validatorOf(type);
  if (tolerant) payload = withoutUnknownProperties(validator, payload).value;
  if (!validator(payload)) {
    return {
      error: new SdkError(
        SdkErrorCode.invalidPayload,
        `The payload of ${type} does not match ${entry.contract}`,
        issuesOf(validator, "/payload"),
      ),
    };
  }
  return { data: (tolerant ? { ...metadata, payload } : value) as EcomMessage };
}

/** Validate a payload for `type` without an envelope, e.g. before publishing. Returns the issues, empty when valid. */
export function validatePayload<TType extends MessageType>(
  type: TType,
  payload: unknown,
): { pointer: string; message: string }[] {
  const validator = validatorOf(type);
  return validator(payload) ? [] : issuesOf(validator, "");
}

/** Narrow a parsed message to one type. */
export function isEventOfType<TType extends MessageType>(
  message: { readonly eventType: string },
  type: TType,
): message is MessageOf<TType> {
  return message.eventType === type;
}
