/**
 * Sampling one value from a domain with Ray Tune's semantics
 * (ray/tune/search/sample.py), driven by our seeded Rng so runs are replayable.
 */
import type { Rng } from "../random.ts";
import type { Domain } from "./domains.ts";
import { SpaceError, type KeyPath } from "./path.ts";

/** Draw one value of `domain`. `sample_from` is not handled here: it needs the whole config (see variants.ts). */
export function sampleDomain(domain: Domain, rng: Rng, path: KeyPath = []): unknown {
  switch (domain.__tunelab) {
    case "uniform":
      return domain.lower + rng.next() * (domain.upper - domain.lower);
    case "quniform": {
      const [lo, hi] = quantizedBounds(domain.lower, domain.upper, domain.q, path);
      return quantize(lo + rng.next() * (hi - lo), domain.q, domain.lower, domain.upper);
    }
    case "loguniform":
      return clamp(logUniform(domain.lower, domain.upper, domain.base, rng), domain.lower, domain.upper);
    case "qloguniform": {
      const [lo, hi] = quantizedBounds(domain.lower, domain.upper, domain.q, path);
      return quantize(logUniform(lo, hi, domain.base, rng), domain.q, domain.lower, domain.upper);
    }
    case "randn":
      return domain.mean + domain.sd * rng.normal();
    case "qrandn":
      return quantize(domain.mean + domain.sd * rng.normal(), domain.q, -Infinity, Infinity);
    case "randint":
      return rng.int(domain.lower, domain.upper);
    case "qrandint": {
      // Uniform over the multiples of q in [lower, upper]. Ray rounds a uniform
      // integer to q, which halves the weight of both ends; every allowed value
      // equally likely is what users expect from "qrandint" and keeps the same support.
      const first = Math.ceil(domain.lower / domain.q);
      const last = Math.floor(domain.upper / domain.q);
      if (last < first) throw new SpaceError(path, `qrandint has no multiple of ${domain.q} in [${domain.lower}, ${domain.upper}]`);
      return rng.int(first, last + 1) * domain.q;
    }
    case "lograndint": {
      // Ray floors base**uniform(log lower, log upper): integers in [lower, upper).
      const v = Math.floor(logUniform(domain.lower, domain.upper, domain.base, rng));
      return Math.min(Math.max(v, domain.lower), domain.upper - 1);
    }
    case "choice":
      if (domain.categories.length === 0) throw new SpaceError(path, "choice has no categories");
      return domain.categories[rng.int(0, domain.categories.length)];
    case "grid":
      // Only reached for a grid nested inside a sampled value (a choice category
      // or a sampleFrom result), which cannot be enumerated up front: pick one.
      if (domain.values.length === 0) throw new SpaceError(path, "grid has no values");
      return domain.values[rng.int(0, domain.values.length)];
    case "sample_from":
      throw new SpaceError(path, "sampleFrom is resolved with the rest of the config, not on its own");
  }
}

function logUniform(lower: number, upper: number, base: number, rng: Rng): number {
  const lnBase = Math.log(base);
  const lo = Math.log(lower) / lnBase;
  const hi = Math.log(upper) / lnBase;
  return base ** (lo + rng.next() * (hi - lo));
}

function clamp(x: number, lower: number, upper: number): number {
  return Math.min(Math.max(x, lower), upper);
}

/** Ray samples inside [ceil(lower/q)·q, floor(upper/q)·q] so rounding cannot leave the bounds. */
function quantizedBounds(lower: number, upper: number, q: number, path: KeyPath): [number, number] {
  const lo = Math.ceil(lower / q - 1e-9) * q;
  const hi = Math.floor(upper / q + 1e-9) * q;
  if (hi < lo) throw new SpaceError(path, `no multiple of q=${q} lies in [${lower}, ${upper}]`);
  return [lo, hi];
}

/**
 * Round `x` to a multiple of q (half to even, as np.round), cleaned of binary
 * noise (0.30000000000000004 → 0.3) and kept within [lower, upper].
 */
export function quantize(x: number, q: number, lower: number, upper: number): number {
  let k = roundHalfEven(x / q);
  const digits = decimalsOf(q);
  const at = (n: number): number => clean(n * q, digits);
  // Float error in k·q can step just outside a bound that is itself a multiple of q.
  while (at(k) < lower && at(k + 1) <= upper) k += 1;
  while (at(k) > upper && at(k - 1) >= lower) k -= 1;
  return at(k);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Decimal places in q's shortest representation (0.05 → 2, 1e-7 → 7), capped where toFixed stops. */
export function decimalsOf(q: number): number {
  const text = Math.abs(q).toString();
  const [mantissa = "", exponent] = text.split("e");
  const fraction = mantissa.split(".")[1]?.length ?? 0;
  const exp = exponent === undefined ? 0 : Number(exponent);
  return Math.min(100, Math.max(0, fraction - exp));
}

function clean(x: number, digits: number): number {
  const v = Number(x.toFixed(digits));
  return Object.is(v, -0) ? 0 : v;
}
