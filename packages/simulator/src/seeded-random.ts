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
