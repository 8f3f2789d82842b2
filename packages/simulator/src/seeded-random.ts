/**
 * A fast, seedable pseudo-random generator (sfc32), so `--seed N` reproduces ids and random choices exactly.
 * Not for secrets: tokens and webhook secrets use node:crypto.
 */
export function createSeededRandom(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed >>> 0);
  let c = 0xb7e15162;
  let d = seed | 0;
  const next = () => {
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // The first outputs of sfc32 correlate with the seed; discard them.
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** A seeded random that counts what it draws, for a seed snapshot. */
export interface CountedRandom {
  readonly next: () => number;
  /** Numbers drawn so far, the skipped ones included. */
  readonly draws: () => number;
}

/** The most draws {@link createCountedRandom} skips (a seed draws a few thousand; skipping is a loop, 10^7 ≈ 0.1 s). */
export const MAX_SKIP = 10_000_000;

/**
 * {@link createSeededRandom} counting its draws, started past the first `skip`: a run started from a seed snapshot
 * skips what the seed drew, so it goes on with the numbers a run that seeded itself would draw next.
 */
export function createCountedRandom(seed: number, skip = 0): CountedRandom {
  if (!Number.isSafeInteger(skip) || skip < 0 || skip > MAX_SKIP)
    throw new RangeError(`cannot skip ${skip} draws: a whole number from 0 to ${MAX_SKIP}`);
  const random = createSeededRandom(seed);
  for (let drawn = 0; drawn < skip; drawn++) random();
  let draws = skip;
  return {
    next: () => {
      draws++;
      return random();
    },
    draws: () => draws,
  };
}
