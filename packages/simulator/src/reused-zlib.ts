import { DeflateRaw, InflateRaw, type ZlibOptions } from "node:zlib";

/**
 * What a Node zlib stream object holds underneath (node's lib/zlib.js, the same from Node 12 to 24): its native
 * stream, which `deflateRawSync` and `inflateRawSync` drive with `writeSync` and then close, and the two counts each
 * write leaves (output space left, input left). Not public API: {@link createReusedRawStream} checks the shape and
 * gives undefined when a Node lacks it, and the caller then uses the `*Sync` calls.
 */
interface NativeZlib {
  reset(): void;
  writeSync(
    flush: number,
    input: Uint8Array,
    inputOffset: number,
    inputLength: number,
    output: Uint8Array,
    outputOffset: number,
    outputLength: number,
  ): void;
  close(): void;
  onerror: (message: string, errno: number) => void;
}

/** One raw deflate or inflate stream, reset for each value instead of made anew. */
export interface ReusedRawStream {
  /** Start a new value: the stream as new, with its dictionary set again. */
  reset(): void;
  /**
   * Write all of `input` with `flush` (a `zlib.constants` flush value), its output going to {@link output} from `at`
   * (the buffer grows when it must); returns where that output ends. Throws what zlib reports (bad input to an
   * inflate), after which the next {@link reset} starts on a stream of its own.
   */
  write(input: Uint8Array, flush: number, at: number): number;
  /** Where writes put their output: valid up to the end the last write returned, until the next write. */
  readonly output: Buffer;
}

/**
 * A raw deflate or inflate stream with a preset `dictionary` (and zlib `options`), kept open and reset before each value. Each
 * `deflateRawSync`/`inflateRawSync` call makes a Transform stream and a native zlib stream (about 270 KB of deflate
 * state), and frees both when it returns; a stream kept open costs only its reset (which sets the dictionary again) per
 * value. Undefined when this Node's zlib objects lack the native handle it drives.
 */
export function createReusedRawStream(
  kind: "deflate" | "inflate",
  dictionary: Buffer,
  options: Omit<ZlibOptions, "dictionary"> = {},
): ReusedRawStream | undefined {
  const open = () => {
    const stream =
      kind === "deflate" ? new DeflateRaw({ ...options, dictionary }) : new InflateRaw({ ...options, dictionary });
    const { _handle: handle, _writeState: state } = stream as unknown as {
      _handle?: Partial<NativeZlib>;
      _writeState?: unknown;
    };
    if (typeof handle?.writeSync !== "function" || typeof handle.reset !== "function") return undefined;
    if (!(state instanceof Uint32Array) || state.length < 2) return undefined;
    return { handle: handle as NativeZlib, state };
  };
  let native = open();
  if (!native) return undefined;
  let failure: Error | undefined;
  let output = Buffer.allocUnsafe(16 * 1024);
  const adopt = (opened: NonNullable<typeof native>) => {
    // Told synchronously, from inside writeSync; Node's own handler would destroy the (unused) stream object instead.
    opened.handle.onerror = (message, errno) => {
      failure = Object.assign(new Error(message), { errno });
    };
    return opened;
  };
  native = adopt(native);
  return {
    get output() {
      return output;
    },
    reset() {
      if (failure) {
        // A stream that reported an error is not trusted again: a fresh one takes its place.
        failure = undefined;
        native?.handle.close();
        const reopened = open();
        native = reopened && adopt(reopened);
      }
      native?.handle.reset();
    },
    write(input, flush, at) {
      if (!native) throw new Error(`zlib ${kind} stream could not be opened again`);
      const { handle, state } = native;
      let inputOffset = 0;
      let inputLength = input.length;
      let end = at;
      for (;;) {
        const space = output.length - end;
        handle.writeSync(flush, input, inputOffset, inputLength, output, end, space);
        if (failure) throw failure;
        const spaceLeft = state[0]!;
        const inputLeft = state[1]!;
        end += space - spaceLeft;
        inputOffset += inputLength - inputLeft;
        inputLength = inputLeft;
        // Output space left over: zlib has done all it can with this input.
        if (spaceLeft !== 0) return end;
        const grown = Buffer.allocUnsafe(output.length * 2);
        output.copy(grown, 0, 0, end);
        output = grown;
      }
    },
  };
}
