const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Each Crockford digit's value by its character code (an array, not a Map: ids are turned into bytes at every event). */
const DIGIT = new Uint8Array(128);
for (const [index, char] of [...CROCKFORD].entries()) DIGIT[char.charCodeAt(0)] = index;

/**
 * A ULID as its 26 upper-case Crockford digits, the first at most 7 (48 bits of time then 80 random bits: 128 bits in
 * 130). Strict on purpose: only a text that {@link ulidBytes} and {@link ulidText} turn into each other matches, so no
 * two texts ever share their bytes (`0` and `O`, or lower case, would).
 */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
/** A UUID as `crypto.randomUUID()` writes it: lower case, hyphens in place. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `text` is a ULID {@link ulidBytes} keeps in 16 bytes. */
export function isUlid(text: string): boolean {
  return ULID.test(text);
}

/** The 16 bytes a ULID ({@link isUlid}) stands for. */
export function ulidBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(16);
  writeUlid(text, 0, bytes, 0);
  return bytes;
}

/** Write the 16 bytes of the ULID that starts at `text[start]` into `bytes` from `at`. */
function writeUlid(text: string, start: number, bytes: Uint8Array, at: number): void {
  // The first digit holds 3 bits (the two above them are zero); each other digit 5.
  let bits = DIGIT[text.charCodeAt(start) & 127] ?? 0;
  let held = 3;
  for (let index = start + 1; index < start + 26; index++) {
    bits = (bits << 5) | (DIGIT[text.charCodeAt(index) & 127] ?? 0);
    held += 5;
    if (held >= 8) {
      held -= 8;
      bytes[at++] = (bits >> held) & 0xff;
      bits &= (1 << held) - 1;
    }
  }
}

/** The ULID text of 16 bytes ({@link ulidBytes} back). */
export function ulidText(bytes: Uint8Array): string {
  let text = "";
  // 128 bits read as 26 digits of 5 from the top: the first digit takes the top 3.
  let bits = 0;
  let held = 2;
  for (const byte of bytes) {
    bits = (bits << 8) | byte;
    held += 8;
    while (held >= 5) {
      held -= 5;
      text += CROCKFORD[(bits >> held) & 31];
      bits &= (1 << held) - 1;
    }
  }
  return text;
}

/** Whether `text` is a UUID {@link uuidBytes} keeps in 16 bytes. */
export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/** The 16 bytes of a UUID ({@link isUuid}). */
export function uuidBytes(text: string): Buffer {
  return Buffer.from(text.replaceAll("-", ""), "hex");
}

/** A prefixed ULID as the platform makes its ids (`evt_01JH8Z…`, ulid-ids.ts). */
const PREFIXED_ULID = /^[a-z]{1,16}_[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/**
 * What a store keeps of an id: a prefixed ULID (`evt_01JH8Z3Q4R5S6T7V8W9X0Y1Z31`, 30 characters) as its prefix's
 * letters then the ULID's 16 bytes (19 bytes), in a BLOB; any other id (one a client chose) as its text. Only texts
 * {@link idText} gives back exactly are turned into bytes, and a BLOB never equals a TEXT in SQLite, so two ids never
 * share a kept value, and an index over kept ids tells them apart as it did their texts.
 */
export function keptId(id: string): string | Buffer {
  if (!PREFIXED_ULID.test(id)) return id;
  // The prefix's letters, then the ULID after its underscore.
  const prefixLength = id.length - 27;
  const kept = Buffer.allocUnsafe(prefixLength + 16);
  kept.write(id, 0, prefixLength, "latin1");
  writeUlid(id, prefixLength + 1, kept, prefixLength);
  return kept;
}

/**
 * The 128 bits of a platform-made id (a prefixed ULID) as 32 lower-case hex digits, the shape of a W3C trace id;
 * undefined for any other id. An event's trace id when no trace is under way (outbox.ts): unique as the event id is,
 * and known to whoever holds the id, so the event log packs it against the row's id (event-log.ts).
 */
export function idHex(id: string): string | undefined {
  if (!PREFIXED_ULID.test(id)) return undefined;
  const bytes = Buffer.allocUnsafe(16);
  writeUlid(id, id.length - 26, bytes, 0);
  return bytes.toString("hex");
}

/** The id a kept value ({@link keptId}) stands for. */
export function idText(kept: string | Uint8Array): string {
  if (typeof kept === "string") return kept;
  const prefixLength = kept.length - 16;
  return `${Buffer.from(kept.buffer, kept.byteOffset, prefixLength).toString("latin1")}_${ulidText(kept.subarray(prefixLength))}`;
}

/** The largest milliseconds since 1970 that {@link keptTime} keeps in its 6 bytes (the year 10889). */
const KEPT_TIME_MAX = 2 ** 48;

/**
 * What a store keeps of a time the platform wrote (`Date#toISOString()`, 24 characters): its milliseconds since 1970
 * as 6 big-endian bytes in a BLOB, which sort as the times do; any other text as it is. Only a text {@link timeText}
 * gives back exactly is turned into bytes. A BLOB sorts after every TEXT in SQLite, so a column holding both (rows
 * written before) is compared with a kept time only where the row's is one too.
 */
export function keptTime(iso: string): string | Buffer {
  const ms = Date.parse(iso);
  if (!(ms >= 0 && ms < KEPT_TIME_MAX) || new Date(ms).toISOString() !== iso) return iso;
  const bytes = Buffer.allocUnsafe(6);
  bytes.writeUIntBE(ms, 0, 6);
  return bytes;
}

/** The time a kept value ({@link keptTime}) stands for, as `Date#toISOString()` wrote it. */
export function timeText(kept: string | Uint8Array): string {
  if (typeof kept === "string") return kept;
  return new Date(Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).readUIntBE(0, 6)).toISOString();
}
