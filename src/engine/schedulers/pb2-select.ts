/**
 * PB2's explore step (Ray's pb2._explore / _select_config): the population's
 * scored results become (time, reward before, config) → reward change per
 * unit of time; a time-varying GP on the latest window picks the config that
 * maximises UCB at the donor's (time, reward). Bounds are flattened once into
 * key paths; values are scaled to [0, 1] linearly, or in log space for a
 * loguniform bound.
 */
import type { TrialConfig } from "../interfaces.ts";
import type { Rng } from "../random.ts";
import { isDomain } from "../space/domains.ts";
import { isPlainObject } from "../space/variants.ts";
import { fitTvGp, maximizeUcb, TvPosterior } from "./pb2-gp.ts";

/** A value of `hyperparamBounds`: [lower, upper], uniform/loguniform/randint, or nested bounds. */
export type Bound = readonly [number, number] | { readonly __tunelab: "uniform" | "loguniform" | "randint"; readonly lower: number; readonly upper: number };
export type Bounds = { readonly [key: string]: Bound | Bounds };

export interface FlatBound {
  path: string[];
  lower: number;
  upper: number;
  log: boolean;
  /** "auto": an integer when the donor's value and both bounds are integers (as Ray keeps the value's type). */
  integer: boolean | "auto";
}

/** One scored result (Ray's PB2 data frame row). `values` follow the flattened bounds' order. */
export interface Pb2Row {
  trial: string;
  time: number;
  values: number[];
  reward: number;
}

/** Flattens `hyperparamBounds`; throws a message naming the key for a bound it cannot use. */
export function flattenBounds(bounds: Bounds, prefix: string[] = []): FlatBound[] {
  const out: FlatBound[] = [];
  for (const [key, b] of Object.entries(bounds)) {
    const path = [...prefix, key];
    const name = path.join(".");
    if (Array.isArray(b)) {
      const [lower, upper] = b as unknown[];
      if (b.length !== 2 || typeof lower !== "number" || typeof upper !== "number" || !Number.isFinite(lower) || !Number.isFinite(upper)) {
        throw new Error(`hyperparamBounds.${name} must be [lower, upper] (got ${JSON.stringify(b)})`);
      }
      out.push({ path, lower, upper, log: false, integer: "auto" });
    } else if (isDomain(b)) {
      if (b.__tunelab !== "uniform" && b.__tunelab !== "loguniform" && b.__tunelab !== "randint") {
        throw new Error(`hyperparamBounds.${name}: PB2 searches continuous ranges; use [lower, upper], uniform, loguniform or randint (got ${b.__tunelab})`);
      }
      const upper = b.__tunelab === "randint" ? b.upper - 1 : b.upper;
      if (b.__tunelab === "loguniform" && !(b.lower > 0)) throw new Error(`hyperparamBounds.${name}: loguniform needs lower > 0 (got ${b.lower})`);
      out.push({ path, lower: b.lower, upper, log: b.__tunelab === "loguniform", integer: b.__tunelab === "randint" });
    } else if (isPlainObject(b)) {
      out.push(...flattenBounds(b as Bounds, path));
    } else {
      throw new Error(`hyperparamBounds.${name} must be [lower, upper], a domain or nested bounds (got ${JSON.stringify(b)})`);
    }
    const last = out[out.length - 1];
    if (last && last.path === path && !(last.lower < last.upper)) {
      throw new Error(`hyperparamBounds.${name}: lower must be below upper (got ${last.lower} and ${last.upper})`);
    }
  }
  return out;
}

export function valueAt(config: TrialConfig, path: readonly string[]): unknown {
  let v: unknown = config;
  for (const k of path) v = isPlainObject(v) ? v[k] : undefined;
  return v;
}

/** The config's numeric values at the bounds' paths, or undefined when one is missing. */
export function valuesOf(config: TrialConfig, bounds: readonly FlatBound[]): number[] | undefined {
  const out: number[] = [];
  for (const b of bounds) {
    const v = valueAt(config, b.path);
    if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
    out.push(v);
  }
  return out;
}

const toUnit = (b: FlatBound, v: number): number =>
  b.log ? (Math.log(Math.max(v, b.lower)) - Math.log(b.lower)) / (Math.log(b.upper) - Math.log(b.lower)) : (v - b.lower) / (b.upper - b.lower);

const fromUnit = (b: FlatBound, u: number): number =>
  b.log ? Math.exp(Math.log(b.lower) + u * (Math.log(b.upper) - Math.log(b.lower))) : b.lower + u * (b.upper - b.lower);

/** The donor's config with each bounded key set from the unit point (integers rounded inside the bounds). */
export function applyPoint(config: TrialConfig, bounds: readonly FlatBound[], point: readonly number[]): TrialConfig {
  const out = structuredClone(config);
  bounds.forEach((b, i) => {
    let v = Math.min(Math.max(fromUnit(b, point[i] as number), b.lower), b.upper);
    const old = valueAt(config, b.path);
    const integer = b.integer === "auto" ? Number.isInteger(old) && Number.isInteger(b.lower) && Number.isInteger(b.upper) : b.integer;
    if (integer) v = Math.min(Math.max(Math.round(v), Math.ceil(b.lower)), Math.floor(b.upper));
    let at: Record<string, unknown> = out;
    for (const k of b.path.slice(0, -1)) at = (isPlainObject(at[k]) ? at[k] : (at[k] = {})) as Record<string, unknown>;
    at[b.path[b.path.length - 1] as string] = v;
  });
  return out;
}

/** Rows the GP learns from: Ray keeps the last 1000 and fits on a window of at least 200; we fit on the last 200. */
export const GP_WINDOW = 200;

interface Sample {
  trial: string;
  x: number[];
  y: number;
}

/**
 * Ray's data prep: within each (trial, config) run, in time order, the reward change over the
 * change in time; input [end time, reward before, raw values].
 */
export function samples(rows: readonly Pb2Row[]): Sample[] {
  const ordered = rows.map((r, i) => ({ r, i })).sort((a, b) => a.r.time - b.r.time || a.i - b.i).map((e) => e.r);
  const previous = new Map<string, Pb2Row>();
  const out: Sample[] = [];
  for (const r of ordered) {
    const key = JSON.stringify([r.trial, r.values]);
    const p = previous.get(key);
    previous.set(key, r);
    if (!p || !(r.time > p.time)) continue;
    const change = r.reward - p.reward;
    out.push({ trial: r.trial, x: [r.time, p.reward, ...r.values], y: change / (r.time - p.time) });
  }
  return out;
}

/** The last fit, keyed by its training data. */
export interface GpCache {
  key?: string;
  gp?: TvPosterior;
}

/** Min–max scaling, with a zero range read as 1 so a constant column stays finite. */
const scale = (v: number, lo: number, hi: number): number => (hi > lo ? (v - lo) / (hi - lo) : v - lo);

/**
 * The config point (in [0, 1] per bound) PB2 gives a trial that copies `donor`, or undefined when
 * the donor has no reward change on record yet (Ray then keeps the donor's config).
 * `pending`: unit points already chosen this round.
 */
export function selectPoint(
  rows: readonly Pb2Row[], bounds: readonly FlatBound[], donor: { id: string; time: number; reward: number },
  pending: readonly (readonly number[])[], rng: Rng, cache?: GpCache,
): number[] | undefined {
  const all = samples(rows);
  if (!all.some((s) => s.trial === donor.id)) return undefined;
  const window = all.slice(-GP_WINDOW);
  const lo = [Math.min(...window.map((s) => s.x[0] as number)), Math.min(...window.map((s) => s.x[1] as number))];
  const hi = [Math.max(...window.map((s) => s.x[0] as number)), Math.max(...window.map((s) => s.x[1] as number))];
  const x = window.map((s) => [
    scale(s.x[0] as number, lo[0] as number, hi[0] as number), scale(s.x[1] as number, lo[1] as number, hi[1] as number),
    ...bounds.map((b, d) => toUnit(b, s.x[d + 2] as number)),
  ]);
  const ys = window.map((s) => s.y);
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const sd = Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / ys.length);
  // Ray's standardize: clipped to ±2 so one lucky jump does not dominate the fit.
  const y = ys.map((v) => Math.min(Math.max((v - mean) / (sd + 1e-8), -2), 2));
  const fixed = [scale(donor.time, lo[0] as number, hi[0] as number), scale(donor.reward, lo[1] as number, hi[1] as number)];
  // Several trials exploit per round on the same data; the fit is deterministic, so it is reused.
  const key = JSON.stringify([x, y]);
  const m = cache?.key === key ? (cache.gp as TvPosterior) : fitTvGp(x, y);
  if (cache) Object.assign(cache, { key, gp: m });
  // The variance ignores targets, so the picks of this round join with zero targets under the same kernel.
  const m1 = pending.length === 0 ? m : new TvPosterior([...x, ...pending.map((p) => [...fixed, ...p])], [...y, ...pending.map(() => 0)], m.hyper);
  return maximizeUcb(m, m1, fixed, bounds.length, rng);
}
