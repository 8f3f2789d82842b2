import { type Result, SdkError, SdkErrorCode } from "./errors.js";
import { parseEvent } from "./events.js";
import type { EcomMessage } from "./gen/events.js";

/**
 * An ecom message as a CloudEvents 1.0 event (structured JSON form). The envelope's fields map to core attributes
 * where CloudEvents has one and to extension attributes (lower-case, as the spec requires) where it has none, so
 * the conversion loses nothing: `fromCloudEvent(toCloudEvent(m))` equals `m`.
 */
export interface EcomCloudEvent {
  readonly specversion: "1.0";
  /** eventId */
  readonly id: string;
  /** `/ecom/<producer>` */
  readonly source: string;
  /** eventType */
  readonly type: string;
  /** occurredAt */
  readonly time: string;
  readonly datacontenttype: "application/json";
  /** partitionKey, as the CloudEvents Partitioning extension names it. */
  readonly partitionkey: string;
  readonly traceid: string;
  /** spanId, when the producer traced the publish. */
  readonly spanid?: string;
  readonly correlationid: string;
  readonly causationid?: string;
  readonly schemaversion: string;
  /** The payload. */
  readonly data: unknown;
}

const SOURCE_PREFIX = "/ecom/";

/** Convert an ecom message into a CloudEvents 1.0 event. */
export function toCloudEvent(message: EcomMessage): EcomCloudEvent {
  return {
    specversion: "1.0",
    id: message.eventId,
    source: `${SOURCE_PREFIX}${message.producer}`,
    type: message.eventType,
    time: message.occurredAt,
    datacontenttype: "application/json",
    partitionkey: message.partitionKey,
    traceid: message.traceId,
    ...(message.spanId === undefined ? {} : { spanid: message.spanId }),
    correlationid: message.correlationId,
    ...(message.causationId === undefined ? {} : { causationid: message.causationId }),
    schemaversion: message.schemaVersion,
    data: message.payload,
  };
}

/**
 * Convert a CloudEvents 1.0 event (as produced by {@link toCloudEvent}, or by any producer that sets the same
 * attributes) back into an ecom message, validating it like {@link parseEvent}.
 */
export function fromCloudEvent(event: Readonly<Record<string, unknown>>): Result<EcomMessage> {
  const attribute = (name: string) => (typeof event[name] === "string" ? (event[name] as string) : undefined);
  const source = attribute("source") ?? "";
  if (attribute("specversion") !== "1.0" || !source.startsWith(SOURCE_PREFIX)) {
    return {
      error: new SdkError(
        SdkErrorCode.invalidCloudEvent,
        `Expected a CloudEvents 1.0 event with source ${SOURCE_PREFIX}<context>; got specversion ${attribute("specversion")} and source ${source || "(none)"}`,
      ),
    };
  }
  let data = event.data;
  try {
    if (data === undefined && typeof event.data_base64 === "string") {
      data = JSON.parse(Buffer.from(event.data_base64, "base64").toString("utf8"));
    } else if (typeof data === "string" && attribute("datacontenttype")?.includes("json")) {
      data = JSON.parse(data);
    }
  } catch (error) {
    return {
      error: new SdkError(
        SdkErrorCode.invalidCloudEvent,
        `The CloudEvent's data is not JSON: ${(error as Error).message}`,
      ),
    };
  }
  const causationId = attribute("causationid");
  const spanId = attribute("spanid");
  return parseEvent({
    eventId: attribute("id"),
    eventType: attribute("type"),
    occurredAt: attribute("time"),
    producer: source.slice(SOURCE_PREFIX.length),
    traceId: attribute("traceid"),
    ...(spanId === undefined ? {} : { spanId }),
    correlationId: attribute("correlationid"),
    ...(causationId === undefined ? {} : { causationId }),
    schemaVersion: attribute("schemaversion"),
    partitionKey: attribute("partitionkey"),
    payload: data,
  });
}
