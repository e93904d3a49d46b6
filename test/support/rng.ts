/**
 * A small seeded pseudo-random generator (xorshift32) returning numbers in [0, 1), so that
 * a randomised test's failure reproduces from its seed.
 */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}
