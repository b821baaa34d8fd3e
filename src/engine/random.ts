/**
 * A small seeded PRNG (sfc32) whose whole state is four integers, so searchers
 * can save and restore it with the experiment and tests are reproducible.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Integer in [lower, upper). */
  int(lower: number, upper: number): number;
  state(): RngState;
}

export type RngState = readonly [number, number, number, number];

export function createRng(seed: number | RngState): Rng {
  let a: number, b: number, c: number, d: number;
  if (typeof seed === "number") {
    // splitmix32 spreads a small seed over the 128-bit state.
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    [a, b, c, d] = [mix(), mix(), mix(), mix()];
  } else {
    [a, b, c, d] = seed;
  }
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  return {
    next,
    normal() {
      let u = 0;
      while (u === 0) u = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    int(lower, upper) {
      return lower + Math.floor(next() * (upper - lower));
    },
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
}

/** A seed from the clock, for experiments that do not set one (recorded so resume is exact). */
export function freshSeed(): number {
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}
