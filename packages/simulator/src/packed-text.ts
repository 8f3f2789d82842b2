import { constants, deflateRawSync, inflateRawSync } from "node:zlib";
import { DICTIONARY_2 } from "./packed-text-dictionary-2.js";
import { DICTIONARY_3 } from "./packed-text-dictionary-3.js";
import { createReusedRawStream, type ReusedRawStream } from "./reused-zlib.js";

/**
 * The preset dictionary of format 1: the tail (8 KiB) of the contracts' example envelopes, one per event type, with
 * the checkout's events last (nearest, so cheapest to refer to). Deflate reads each text as if it came right after
 * these bytes, so field names, event types, id prefixes and money objects cost a few bits each even in a short text.
 * FROZEN: every value packed in format 1 needs these exact bytes to be read again (a test reads a value packed with them); a better
 * dictionary is a new format byte beside this one, never an edit of it. Exported for the tests, which read values with
 * zlib's own calls.
 */
export const DICTIONARY_1 = Buffer.from(
  [
    '"Short, precise and full of exercises that teach you to think in C. The appendix is a complete reference.","verifiedPurchase":true,"submittedAt":"2026-01-25T18:00:00Z"}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31","eventType":"ecommerce.cart.cart.item_added.v1","occurredAt":"2026-01-18T12:05:00Z","producer":"cart","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","schemaVersion":"1.0","partitionKey":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","payload":{"cartId":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","quantity":2,"unitPrice":{"amount":4599,"currency":"USD"}}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31","eventType":"ecommerce.cart.cart.checked_out.v1","occurredAt":"2026-01-18T12:27:00Z","producer":"cart","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","schemaVersion":"1.0","partitionKey":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","payload":{"checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","cartId":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","currency":"USD","items":[{"productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","quantity":2,"unitPrice":{"amount":4599,"currency":"USD"}}],"subtotal":{"amount":9198,"currency":"USD"},"shippingAddressId":"adr_01JH8Z3Q4R5S6T7V8W9X0Y1Z2F","couponCode":"WELCOME10","paymentToken":"tok_01JH8Z3Q4R5S6T7V8W9X0Y1Z32"}}',
    '{"eventId":"evt_01JH8Z6C7D8E9F0G1H2J3K4M8A","eventType":"ecommerce.inventory.stock.reserved.v1","occurredAt":"2026-01-18T12:27:01Z","producer":"inventory","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31","schemaVersion":"1.0","partitionKey":"rsv_01JH8Z3Q4R5S6T7V8W9X0Y1Z2M","payload":{"reservationId":"rsv_01JH8Z3Q4R5S6T7V8W9X0Y1Z2M","checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","items":[{"productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","quantity":2}],"reservedAt":"2026-01-18T12:27:01Z","expiresAt":"2026-01-18T12:42:01Z"}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3A","eventType":"ecommerce.payment.payment.authorized.v1","occurredAt":"2026-01-18T12:27:00Z","producer":"payment","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31","schemaVersion":"1.0","partitionKey":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","payload":{"paymentId":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","orderId":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","amount":{"amount":8778,"currency":"USD"},"card":{"brand":"visa","last4":"4242"},"chargeId":"chg_01JH8Z3Q4R5S6T7V8W9X0Y1Z33","processorPath":"soap","authorizedAt":"2026-01-18T12:27:00Z","expiresAt":"2026-01-25T12:27:00Z"}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3C","eventType":"ecommerce.order.order.created.v1","occurredAt":"2026-01-18T12:27:01Z","producer":"order","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3A","schemaVersion":"1.0","partitionKey":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","payload":{"orderId":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","status":"PENDING","currency":"USD","items":[{"productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","isbn":"9780131103627","title":"The C Programming Language","quantity":2,"unitPrice":{"amount":4599,"currency":"USD"},"lineTotal":{"amount":9198,"currency":"USD"}}],"subtotal":{"amount":9198,"currency":"USD"},"discount":{"amount":920,"currency":"USD"},"shipping":{"amount":0,"currency":"USD"},"tax":{"amount":500,"currency":"USD"},"total":{"amount":8778,"currency":"USD"},"couponCode":"WELCOME10","appliedPromotions":[{"promotionId":"prm_01JH8Z3Q4R5S6T7V8W9X0Y1Z2J","couponCode":"WELCOME10","discount":{"amount":920,"currency":"USD"}}],"shippingAddress":{"name":"Ada Lovelace","line1":"350 Fifth Avenue","line2":"Suite 2100","city":"New York","region":"NY","postalCode":"10118","country":"US"},"paymentId":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","createdAt":"2026-01-18T12:27:01Z"}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3B","eventType":"ecommerce.payment.payment.succeeded.v1","occurredAt":"2026-01-18T12:27:02Z","producer":"payment","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3C","schemaVersion":"1.0","partitionKey":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","payload":{"paymentId":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","orderId":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","amount":{"amount":8778,"currency":"USD"},"card":{"brand":"visa","last4":"4242"},"chargeId":"chg_01JH8Z3Q4R5S6T7V8W9X0Y1Z35","capturedAt":"2026-01-18T12:27:02Z"}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3N","eventType":"ecommerce.order.order.paid.v1","occurredAt":"2026-01-18T12:27:02Z","producer":"order","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3B","schemaVersion":"1.0","partitionKey":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","payload":{"orderId":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","paymentId":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","currency":"USD","items":[{"productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","isbn":"9780131103627","title":"The C Programming Language","quantity":2,"unitPrice":{"amount":4599,"currency":"USD"},"lineTotal":{"amount":9198,"currency":"USD"}}],"subtotal":{"amount":9198,"currency":"USD"},"discount":{"amount":920,"currency":"USD"},"shipping":{"amount":0,"currency":"USD"},"tax":{"amount":500,"currency":"USD"},"total":{"amount":8778,"currency":"USD"},"couponCode":"WELCOME10","appliedPromotions":[{"promotionId":"prm_01JH8Z3Q4R5S6T7V8W9X0Y1Z2J","couponCode":"WELCOME10","discount":{"amount":920,"currency":"USD"}}],"shippingAddress":{"name":"Ada Lovelace","line1":"350 Fifth Avenue","line2":"Suite 2100","city":"New York","region":"NY","postalCode":"10118","country":"US"},"paidAt":"2026-01-18T12:27:02Z"}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z41","eventType":"ecommerce.order.checkout.completed.v1","occurredAt":"2026-01-18T12:27:02Z","producer":"order","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3B","schemaVersion":"1.0","partitionKey":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","payload":{"checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","cartId":"crt_01JH8Z3Q4R5S6T7V8W9X0Y1Z2G","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","orderId":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","paymentId":"pay_01JH8Z3Q4R5S6T7V8W9X0Y1Z2P","total":{"amount":8778,"currency":"USD"},"completedAt":"2026-01-18T12:27:02Z"}}',
    '{"eventId":"evt_01JH8Z6C7D8E9F0G1H2J3K4M8E","eventType":"ecommerce.inventory.stock.committed.v1","occurredAt":"2026-01-18T12:27:03Z","producer":"inventory","traceId":"4bf92f3577b34da6a3ce929d0e0e4736","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z6C7D8E9F0G1H2J3K4M8F","schemaVersion":"1.0","partitionKey":"rsv_01JH8Z3Q4R5S6T7V8W9X0Y1Z2M","payload":{"reservationId":"rsv_01JH8Z3Q4R5S6T7V8W9X0Y1Z2M","checkoutId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","orderId":"ord_01JH8Z3Q4R5S6T7V8W9X0Y1Z2R","items":[{"productId":"prd_01JH8Z3Q4R5S6T7V8W9X0Y1Z2A","quantity":2}],"committedAt":"2026-01-18T12:27:03Z"}}',
    '{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z4G","eventType":"ecommerce.notification.notification.sent.v1","occurredAt":"2026-01-19T16:00:02Z","producer":"notification","traceId":"8f4b5d0e2a6c7b9d1e3f5a7b9c1d3e4f","correlationId":"chk_01JH8Z3Q4R5S6T7V8W9X0Y1Z2S","causationId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3X","schemaVersion":"1.0","partitionKey":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","payload":{"notificationId":"ntf_01JH8Z3Q4R5S6T7V8W9X0Y1Z2Y","customerId":"cus_01JH8Z3Q4R5S6T7V8W9X0Y1Z2E","templateKey":"order_shipped","channel":"email","trigger":{"eventId":"evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z3X","eventType":"ecommerce.order.order.shipped.v1"},"attemptCount":1,"providerMessageId":"sim-email-5f2c9a","sentAt":"2026-01-19T16:00:02Z"}}',
  ].join(""),
);

/** The first byte of a packed value: how the rest is to be read. */
const FORMAT_DEFLATE_1 = 1;
/**
 * Format 2: deflate-raw with format 1's dictionary followed by a context, text the reader holds beside the value (an
 * event's own ids, which the log's row keeps in columns of their own): the value's copies of it cost a few bits each
 * instead of their ~17 bytes of random digits. Read back only with the very same context.
 */
const FORMAT_DEFLATE_CONTEXT = 2;
/**
 * Format 3: as format 2, with {@link DICTIONARY_2} (envelopes as the platform's producers write them) in place of
 * format 1's dictionary, followed by the context.
 */
const FORMAT_DEFLATE_CONTEXT_2 = 3;
/**
 * Format 4: as format 3, with {@link DICTIONARY_3} (envelopes stripped of what only they hold, 5.7 KiB instead of 8)
 * in place of {@link DICTIONARY_2}: zlib loads the dictionary again for every value, and a smaller one costs less.
 */
const FORMAT_DEFLATE_CONTEXT_3 = 4;

/**
 * Which preset dictionary a value is packed with: format 1's (formats 1 and 2), {@link DICTIONARY_2} (format 3) or
 * {@link DICTIONARY_3} (format 4).
 */
export type PackingDictionary = 1 | 2 | 3;

const DICTIONARIES: Readonly<Record<PackingDictionary, Buffer>> = { 1: DICTIONARY_1, 2: DICTIONARY_2, 3: DICTIONARY_3 };
/** The format byte of a value packed with a context, by dictionary. */
const CONTEXT_FORMATS: Readonly<Record<PackingDictionary, number>> = {
  1: FORMAT_DEFLATE_CONTEXT,
  2: FORMAT_DEFLATE_CONTEXT_2,
  3: FORMAT_DEFLATE_CONTEXT_3,
};

/** A dictionary and the deflate and inflate streams that every value packed with it shares. */
interface Codec {
  readonly dictionary: Buffer;
  readonly deflate: ReusedRawStream | undefined;
  readonly inflate: ReusedRawStream | undefined;
}

/**
 * One deflate and one inflate stream per dictionary for every value, reset for each (reused-zlib.ts); undefined on a
 * Node without. Made at a dictionary's first use: a process that packs nothing pays for no stream.
 */
const codecs = new Map<PackingDictionary, Codec>();

function codecOf(dictionary: PackingDictionary): Codec {
  let codec = codecs.get(dictionary);
  if (!codec) {
    const bytes = DICTIONARIES[dictionary];
    codec = {
      dictionary: bytes,
      deflate: createReusedRawStream("deflate", bytes),
      inflate: createReusedRawStream("inflate", bytes),
    };
    codecs.set(dictionary, codec);
  }
  return codec;
}

/**
 * Text (JSON, mostly) packed to keep in a store: deflate-raw with format 1's preset dictionary, behind a format
 * byte. About a quarter of an event envelope's size; {@link unpackText} gives the very same text back. With a
 * `context` (format 2), the dictionary ends with it, and it must be given again to unpack; with `dictionary` 2 or 3
 * (formats 3 and 4, a context required), the dictionary is {@link DICTIONARY_2} or {@link DICTIONARY_3}, made of
 * envelopes as the platform writes them.
 *
 * One deflate stream per dictionary serves every call: a context is written into it first and flushed
 * to a byte boundary (its output dropped), so the text that follows finds it in the window right after the
 * dictionary, as if the dictionary ended with it; what the text deflates to is a stream of its own that reads back
 * with that dictionary.
 */
export function packText(text: string, context?: string, dictionary: PackingDictionary = 1): Buffer {
  if (dictionary !== 1 && context === undefined)
    throw new Error(`dictionary ${dictionary} packs against a context: none was given`);
  const format = context === undefined ? FORMAT_DEFLATE_1 : CONTEXT_FORMATS[dictionary];
  const codec = codecOf(dictionary);
  const { deflate } = codec;
  if (!deflate) return framed(format, deflateRawSync(text, { dictionary: dictionaryWith(codec, context) }));
  deflate.reset();
  if (context !== undefined) deflate.write(Buffer.from(context), constants.Z_SYNC_FLUSH, 0);
  // Written after a byte of room, where the format byte goes.
  const end = deflate.write(Buffer.from(text), constants.Z_FINISH, 1);
  const packed = Buffer.allocUnsafe(end);
  deflate.output.copy(packed, 1, 1, end);
  packed[0] = format;
  return packed;
}

/** `deflated` behind its format byte. */
function framed(format: number, deflated: Buffer): Buffer {
  const packed = Buffer.allocUnsafe(deflated.length + 1);
  packed[0] = format;
  deflated.copy(packed, 1);
  return packed;
}

/**
 * The text a store column holds: a string as it is (rows written before packing, or kept plain), a packed value
 * (a BLOB, from {@link packText}) unpacked; a value packed with a context needs that `context`.
 */
export function unpackText(value: string | Uint8Array, context?: string): string {
  if (typeof value === "string") return value;
  if (value[0] === FORMAT_DEFLATE_1) return inflated(codecOf(1), value.subarray(1), undefined);
  const dictionary = contextDictionary(value);
  if (dictionary !== undefined) {
    if (context === undefined)
      throw new Error(`a value packed with a context (format ${value[0]}) was read without one`);
    return inflated(codecOf(dictionary), value.subarray(1), context);
  }
  throw new Error(
    `a packed value of format ${value[0] ?? "(empty)"}, which this version of ecom cannot read: was the data folder written by a newer one?`,
  );
}

/**
 * The dictionary a value packed with a context (formats 2 to 4) was packed with; undefined for any other value. A
 * reader whose context depends on the format (the event log's) asks this first.
 */
export function contextDictionary(value: string | Uint8Array): PackingDictionary | undefined {
  if (typeof value === "string") return undefined;
  if (value[0] === FORMAT_DEFLATE_CONTEXT) return 1;
  if (value[0] === FORMAT_DEFLATE_CONTEXT_2) return 2;
  if (value[0] === FORMAT_DEFLATE_CONTEXT_3) return 3;
  return undefined;
}

/** The largest block deflate stores as it is: a context up to this long is handed to the inflate stream as one. */
const STORED_BLOCK_MAX = 0xffff;

/**
 * The text `deflated` stands for, read with the codec's dictionary followed by `context`. With its one inflate stream,
 * the context reaches the window as a stored block written before `deflated` (its output, the context itself, is
 * skipped): the window then holds what the writer's did.
 */
function inflated(codec: Codec, deflated: Uint8Array, context: string | undefined): string {
  const { inflate } = codec;
  if (!inflate || (context !== undefined && Buffer.byteLength(context) > STORED_BLOCK_MAX))
    return inflateRawSync(deflated, { dictionary: dictionaryWith(codec, context) }).toString("utf8");
  inflate.reset();
  const start = context === undefined ? 0 : inflate.write(storedBlock(context), constants.Z_NO_FLUSH, 0);
  const end = inflate.write(deflated, constants.Z_FINISH, start);
  return inflate.output.toString("utf8", start, end);
}

/** `text` as a deflate stored block that is not the last (3 header bits and padding, its length, that negated, it). */
function storedBlock(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const block = Buffer.allocUnsafe(5 + length);
  block[0] = 0;
  block.writeUInt16LE(length, 1);
  block.writeUInt16LE(~length & 0xffff, 3);
  block.write(text, 5);
  return block;
}

/**
 * A codec's dictionary followed by `context` when there is one (formats 2 and 3), for zlib's one-shot calls: only
 * where this Node offers no stream to reuse (reused-zlib.ts), and for a context longer than a stored block.
 */
function dictionaryWith(codec: Codec, context: string | undefined): Buffer {
  return context === undefined ? codec.dictionary : Buffer.concat([codec.dictionary, Buffer.from(context)]);
}
