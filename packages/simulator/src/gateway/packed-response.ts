import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { isUlid, ulidBytes, ulidText } from "../compact-ids.js";
import { createReusedRawStream } from "../reused-zlib.js";
import type { StoredResponse } from "./idempotency-store.js";

/**
 * The preset dictionary of stored responses: the contracts' examples of what the POSTs that take an Idempotency-Key
 * answer, the checkout's last (a problem, an address, a payment method, an empty cart, a cart with a book, the
 * accepted checkout, the paid order), with their Location headers. Deflate reads each response as if it came right
 * after these bytes, so field names, id prefixes, money objects and timestamps cost a few bits each.
 * FROZEN: every response packed in format {@link PACKED_RESPONSE_FORMAT} needs these exact bytes to be read again (a
 * test reads a value packed with them); a better dictionary is a new format byte, never an edit of this one.
 */
const RESPONSE_DICTIONARY = Buffer.from(
  [
    '{"type":"https://ecom.dev/problems/conflict","title":"Conflict","status":409,"code":"conflict","detail":"The cart is not open.","instance":"/carts/crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G/items","errors":[{"pointer":"/body/quantity","message":"must be >= 1"}],"correlationId":"cor_01JH8Z3Q4R5S6T7V8W9X0Y1Z2D"}',
    '{"location":"/customers/me/addresses/adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2F"}',
    '{"addressId":"adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2F","label":"HOME","isDefault":true,"address":{"name":"Ada Lovelace","line1":"350 Fifth Avenue","line2":"Suite 2100","city":"New York","region":"NY","postalCode":"10118","country":"US"},"createdAt":"2026-01-18T12:00:00.000Z"}',
    '{"paymentToken":"tok_01JH8Z3Q4R5S6T7V8W9X0Y1Z32","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","type":"card","brand":"visa","last4":"4242","expMonth":12,"expYear":2030,"holderName":"Ada Lovelace","createdAt":"2026-01-18T12:00:00.000Z"}',
    '{"location":"/carts/crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G"}',
    '{"cartId":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","status":"OPEN","currency":"USD","items":[],"subtotal":{"amount":0,"currency":"USD"},"createdAt":"2026-01-18T12:00:00.000Z","updatedAt":"2026-01-18T12:00:00.000Z","expiresAt":"2026-01-25T12:00:00.000Z"}',
    '{"cartId":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","status":"OPEN","currency":"USD","items":[{"itemId":"cti_01JH8Z3Q4R5S6T7V8W9X0Y1Z2H","productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","isbn":"9780131103627","title":"The C Programming Language","quantity":2,"unitPrice":{"amount":4599,"currency":"USD"},"lineTotal":{"amount":9198,"currency":"USD"}}],"subtotal":{"amount":9198,"currency":"USD"},"createdAt":"2026-01-18T12:00:00.000Z","updatedAt":"2026-01-18T12:05:00.000Z","expiresAt":"2026-01-25T12:05:00.000Z"}',
    '{"location":"/checkouts/chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S"}',
    '{"checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","cartId":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","status":"CHECKED_OUT"}',
    '{"location":"/orders/ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R"}',
    '{"orderId":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","status":"PAID","currency":"USD","items":[{"productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","isbn":"9780131103627","title":"The C Programming Language","quantity":2,"unitPrice":{"amount":4599,"currency":"USD"},"lineTotal":{"amount":9198,"currency":"USD"}}],"subtotal":{"amount":9198,"currency":"USD"},"discount":{"amount":920,"currency":"USD"},"shipping":{"amount":0,"currency":"USD"},"tax":{"amount":500,"currency":"USD"},"total":{"amount":8778,"currency":"USD"},"couponCode":"WELCOME10","appliedPromotions":[{"promotionId":"prm_01JH8Z3Q4R5S6T7V8W9X0Y1Z2J","couponCode":"WELCOME10","discount":{"amount":920,"currency":"USD"}}],"shippingAddress":{"name":"Ada Lovelace","line1":"350 Fifth Avenue","line2":"Suite 2100","city":"New York","region":"NY","postalCode":"10118","country":"US"},"billingAddress":{"name":"Ada Lovelace","line1":"350 Fifth Avenue","line2":"Suite 2100","city":"New York","region":"NY","postalCode":"10118","country":"US"},"paymentId":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","createdAt":"2026-01-18T12:27:01.000Z","updatedAt":"2026-01-18T12:27:02.000Z","paidAt":"2026-01-18T12:27:02.000Z"}',
  ].join("\n"),
);

/**
 * The first byte of a packed response. Apart from packed-text's formats (1 and 2), which rows stored before hold, so
 * a reader tells the two apart by it.
 */
export const PACKED_RESPONSE_FORMAT = 16;
/**
 * The first byte of a response packed as in {@link PACKED_RESPONSE_FORMAT}, but against its context followed by the
 * request it answered: a replay presents that very request again, and the ids it names cost a few bits each in the
 * answer (the cart in the path, the product or checkout in the body).
 */
export const PACKED_AGAINST_REQUEST_FORMAT = 17;

/**
 * How much of a request a response is packed against: its start (method, path, the body's first fields), so a large
 * body does not make each response deflate a megabyte it cannot use.
 */
const REQUEST_CONTEXT_CHARS = 2048;

/** The second byte: which headers the flags stand for instead of the packed text. */
const JSON_CONTENT = 1;
const PROBLEM_CONTENT = 2;
/** A Correlation-Id the platform made (`cor_<ULID>`), kept as its 16 bytes right after the flags. */
const PLATFORM_CORRELATION_ID = 4;
/** That Correlation-Id came before the other headers (a problem's), not after them (a handler's answer). */
const CORRELATION_ID_FIRST = 8;

const JSON_MEDIA_TYPE = "application/json";
const PROBLEM_MEDIA_TYPE = "application/problem+json";
const CORRELATION_PREFIX = "cor_";

/**
 * A small window and hash table, since a response and the dictionary before it fit in 8 KiB: the deflater's state is
 * about 35 KB instead of zlib's default 270 KB, which a reset clears in part (its hash table) and each response then
 * reads through again, between a request's other work that evicts it from the CPU's caches. The inflater reads any
 * window up to its default 32 KiB, so responses packed with the defaults before read as they did.
 */
const DEFLATE_OPTIONS = { level: 6, windowBits: 13, memLevel: 2 } as const;

/**
 * One deflate and one inflate stream, their dictionary {@link RESPONSE_DICTIONARY}, reset for each response instead of
 * a new zlib stream per call (reused-zlib.ts); undefined on a Node without.
 */
const deflate = createReusedRawStream("deflate", RESPONSE_DICTIONARY, DEFLATE_OPTIONS);
const inflate = createReusedRawStream("inflate", RESPONSE_DICTIONARY);

/**
 * Pack a response to keep under an Idempotency-Key: its usual headers as flags (a JSON or problem+json content type;
 * the platform's `cor_<ULID>` Correlation-Id as 16 bytes, and whether it came before the other headers or after), the
 * other headers (JSON, or nothing) and the body deflated with {@link RESPONSE_DICTIONARY} followed by `context` (text
 * the reader holds beside the row: its creation time and key, so the body's timestamps and the customer's id cost a
 * few bits each) and the Correlation-Id. The status is not in it (the row keeps it). {@link unpackResponse} with the
 * same context gives the very same response back, its headers in the same order. With `request` (the text of the
 * request answered, which the reader holds too), the response is packed against it as well, in format
 * {@link PACKED_AGAINST_REQUEST_FORMAT}.
 */
export function packResponse(response: StoredResponse, context: string, request?: string): Buffer {
  let flags = 0;
  let correlationId: Buffer | undefined;
  const rest: Record<string, string> = {};
  let others = false;
  for (const [name, value] of Object.entries(response.headers)) {
    if (name === "content-type" && value === JSON_MEDIA_TYPE) flags |= JSON_CONTENT;
    else if (name === "content-type" && value === PROBLEM_MEDIA_TYPE) flags |= PROBLEM_CONTENT;
    else if (name === "correlation-id" && value.startsWith(CORRELATION_PREFIX) && isUlid(value.slice(4))) {
      flags |= others ? PLATFORM_CORRELATION_ID : PLATFORM_CORRELATION_ID | CORRELATION_ID_FIRST;
      correlationId = ulidBytes(value.slice(4));
    } else {
      rest[name] = value;
      others = true;
    }
  }
  const text = `${others ? JSON.stringify(rest) : ""}\n${response.body}`;
  const against = withRequest(context, request);
  const after = correlationId ? `${against}${CORRELATION_PREFIX}${ulidText(correlationId)}` : against;
  const head = correlationId ? 18 : 2;
  let packed: Buffer;
  if (deflate) {
    // The context is written first and flushed to a byte boundary, its output dropped: the text that follows finds it
    // in the window right after the dictionary, and deflates to a stream of its own that reads back with both.
    deflate.reset();
    deflate.write(Buffer.from(after), constants.Z_SYNC_FLUSH, 0);
    const end = deflate.write(Buffer.from(text), constants.Z_FINISH, head);
    packed = Buffer.allocUnsafe(end);
    deflate.output.copy(packed, head, head, end);
  } else {
    const deflated = deflateRawSync(text, { ...DEFLATE_OPTIONS, dictionary: dictionaryWith(after) });
    packed = Buffer.allocUnsafe(head + deflated.length);
    deflated.copy(packed, head);
  }
  packed[0] = request === undefined ? PACKED_RESPONSE_FORMAT : PACKED_AGAINST_REQUEST_FORMAT;
  packed[1] = flags;
  correlationId?.copy(packed, 2);
  return packed;
}

/** What a response is packed against: the context, then the start of the request it answered, when it is given. */
const withRequest = (context: string, request: string | undefined) =>
  request === undefined ? context : `${context}${request.slice(0, REQUEST_CONTEXT_CHARS)}`;

/** Whether a stored value is a {@link packResponse} (not a response stored before, in packed-text's format). */
export function isPackedResponse(value: Uint8Array): boolean {
  return value[0] === PACKED_RESPONSE_FORMAT || value[0] === PACKED_AGAINST_REQUEST_FORMAT;
}

/**
 * The response {@link packResponse} packed with this `context` (and `request`, which a response of format
 * {@link PACKED_AGAINST_REQUEST_FORMAT} needs), given the status its row keeps.
 */
export function unpackResponse(status: number, packed: Uint8Array, context: string, request?: string): StoredResponse {
  if (!isPackedResponse(packed)) throw new Error(`not a packed response (format ${packed[0] ?? "(empty)"})`);
  const againstRequest = packed[0] === PACKED_AGAINST_REQUEST_FORMAT;
  if (againstRequest && request === undefined)
    throw new Error("a response packed against its request, read without the request");
  const against = againstRequest ? withRequest(context, request) : context;
  const flags = packed[1] ?? 0;
  const correlationId =
    flags & PLATFORM_CORRELATION_ID ? `${CORRELATION_PREFIX}${ulidText(packed.subarray(2, 18))}` : undefined;
  const text = inflated(
    packed.subarray(correlationId ? 18 : 2),
    correlationId ? `${against}${correlationId}` : against,
  );
  // The headers' JSON holds no raw newline, so the first one ends it.
  const end = text.indexOf("\n");
  const headers: Record<string, string> = {};
  if (flags & JSON_CONTENT) headers["content-type"] = JSON_MEDIA_TYPE;
  if (flags & PROBLEM_CONTENT) headers["content-type"] = PROBLEM_MEDIA_TYPE;
  if (correlationId && flags & CORRELATION_ID_FIRST) headers["correlation-id"] = correlationId;
  if (end > 0) Object.assign(headers, JSON.parse(text.slice(0, end)));
  if (correlationId) headers["correlation-id"] = correlationId;
  return { status, headers, body: text.slice(end + 1) };
}

/** The largest block deflate stores as it is: a context up to this long is handed to the inflate stream as one. */
const STORED_BLOCK_MAX = 0xffff;

/**
 * The text `deflated` stands for, read with the dictionary followed by `context`. With the one inflate stream, the
 * context reaches the window as a stored block written before `deflated` (its output, the context itself, skipped).
 */
function inflated(deflated: Uint8Array, context: string): string {
  const length = Buffer.byteLength(context);
  if (!inflate || length > STORED_BLOCK_MAX)
    return inflateRawSync(deflated, { dictionary: dictionaryWith(context) }).toString("utf8");
  // A stored block that is not the last: 3 header bits and padding, its length, that negated, the context.
  const block = Buffer.allocUnsafe(5 + length);
  block[0] = 0;
  block.writeUInt16LE(length, 1);
  block.writeUInt16LE(~length & 0xffff, 3);
  block.write(context, 5);
  inflate.reset();
  const start = inflate.write(block, constants.Z_NO_FLUSH, 0);
  const end = inflate.write(deflated, constants.Z_FINISH, start);
  return inflate.output.toString("utf8", start, end);
}

/**
 * The dictionary followed by a context, made in one buffer every call reuses: only the context is written each time.
 * Safe to reuse because zlib's synchronous calls have read their dictionary by the time they return. Only where this
 * Node offers no stream to reuse, and for a context longer than a stored block.
 */
let withContext = Buffer.concat([RESPONSE_DICTIONARY, Buffer.alloc(256)]);

function dictionaryWith(context: string): Buffer {
  const end = RESPONSE_DICTIONARY.length + Buffer.byteLength(context);
  if (end > withContext.length)
    withContext = Buffer.concat([RESPONSE_DICTIONARY, Buffer.alloc(end - RESPONSE_DICTIONARY.length)]);
  withContext.write(context, RESPONSE_DICTIONARY.length);
  return withContext.subarray(0, end);
}
