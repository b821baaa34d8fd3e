/**
 * The space as model-based searchers see it: every sampled leaf becomes a
 * parameter with a key, either a float on an internal scale (log for log
 * domains, the normal CDF for randn, bounds widened by q/2 for quantised ones,
 * as Optuna does for stepped and integer params) or a categorical index.
 *
 * A choice (or grid) whose categories hold domains is conditional: the leaves
 * under category i get keys under `key[=i]`, so they only exist in the trials
 * that chose i and models fit them on those trials alone. Grid leaves are not
 * enumerated by model-based searchers: they are categorical parameters.
 * sampleFrom functions run after sampling, on the finished config, as in variants.ts.
 */
import type { TrialConfig } from "../interfaces.ts";
import type { Rng } from "../random.ts";
import { isDomain, type Domain, type Space } from "../space/domains.ts";
import { SpaceError, type KeyPath } from "../space/path.ts";
import { decimalsOf, quantize } from "../space/sample.ts";
import { isPlainObject, resolveVariant } from "../space/variants.ts";

/** A float parameter on its internal scale: [low, high], rounded to `step` (internal units) when set. */
export interface FloatParam { readonly kind: "float"; readonly key: string; readonly low: number; readonly high: number; readonly step: number | undefined; readonly domain: Domain }
export interface CatParam { readonly kind: "cat"; readonly key: string; readonly n: number; readonly domain: Domain }
export type Param = FloatParam | CatParam;

/** Internal values of one trial's parameters by key (category index for categorical ones). */
export type Observation = Record<string, number>;

const ln = Math.log;

/** The parameter a domain leaf becomes (sampleFrom has none). */
export function paramOf(domain: Domain, key: string, path: KeyPath): Param {
  switch (domain.__tunelab) {
    case "uniform":
      return { kind: "float", key, low: domain.lower, high: domain.upper, step: undefined, domain };
    case "quniform": {
      const [lo, hi] = qBounds(domain.lower, domain.upper, domain.q, path);
      return { kind: "float", key, low: lo - domain.q / 2, high: hi + domain.q / 2, step: domain.q, domain };
    }
    case "loguniform":
      return { kind: "float", key, low: ln(domain.lower), high: ln(domain.upper), step: undefined, domain };
    case "qloguniform": {
      const [lo, hi] = qBounds(domain.lower, domain.upper, domain.q, path);
      return { kind: "float", key, low: ln(lo), high: ln(hi), step: undefined, domain };
    }
    case "randn":
    case "qrandn":
      return { kind: "float", key, low: 0, high: 1, step: undefined, domain };
    case "randint":
      return { kind: "float", key, low: domain.lower - 0.5, high: domain.upper - 0.5, step: 1, domain };
    case "qrandint": {
      const [lo, hi] = qBounds(domain.lower, domain.upper, domain.q, path);
      return { kind: "float", key, low: lo - domain.q / 2, high: hi + domain.q / 2, step: domain.q, domain };
    }
    case "lograndint":
      return { kind: "float", key, low: ln(Math.max(domain.lower - 0.5, domain.lower / 2)), high: ln(domain.upper - 0.5), step: undefined, domain };
    case "choice":
      return { kind: "cat", key, n: domain.categories.length, domain };
    case "grid":
      return { kind: "cat", key, n: domain.values.length, domain };
    case "sample_from":
      throw new SpaceError(path, "sampleFrom is resolved after sampling, not a parameter");
  }
}

function qBounds(lower: number, upper: number, q: number, path: KeyPath): [number, number] {
  const lo = Math.ceil(lower / q - 1e-9) * q;
  const hi = Math.floor(upper / q + 1e-9) * q;
  if (hi < lo) throw new SpaceError(path, `no multiple of q=${q} lies in [${lower}, ${upper}]`);
  return [lo, hi];
}

/** The config value for internal value `x` of a float param (rounded, quantised, clipped into the domain). */
export function decodeFloat(p: FloatParam, x: number): number {
  const d = p.domain;
  const clip = (v: number, a: number, b: number): number => Math.min(Math.max(v, a), b);
  switch (d.__tunelab) {
    case "uniform": return clip(x, d.lower, d.upper);
    case "quniform": return quantize(x, d.q, d.lower, d.upper);
    case "loguniform": return clip(Math.exp(x), d.lower, d.upper);
    case "qloguniform": return quantize(Math.exp(x), d.q, d.lower, d.upper);
    case "randn": return d.mean + d.sd * normalQuantile(clip(x, 1e-12, 1 - 1e-12));
    case "qrandn": return quantize(d.mean + d.sd * normalQuantile(clip(x, 1e-12, 1 - 1e-12)), d.q, -Infinity, Infinity);
    case "randint": return clip(Math.round(x), d.lower, d.upper - 1);
    case "qrandint": {
      const digits = decimalsOf(d.q);
      const k = clip(Math.round(x / d.q), Math.ceil(d.lower / d.q - 1e-9), Math.floor(d.upper / d.q + 1e-9));
      return Number((k * d.q).toFixed(digits));
    }
    case "lograndint": return clip(Math.round(Math.exp(x)), d.lower, d.upper - 1);
    default: throw new Error(`${d.__tunelab} is not a float parameter`);
  }
}

/** The internal value of a config value (points to evaluate, and what was really run after rounding). */
export function encodeFloat(p: FloatParam, value: number): number {
  const d = p.domain;
  switch (d.__tunelab) {
    case "loguniform": case "qloguniform": case "lograndint": return Math.min(Math.max(ln(value), p.low), p.high);
    case "randn": case "qrandn": return normalCdf((value - d.mean) / d.sd);
    default: return value;
  }
}

/** Chooses every parameter's internal value while a config is built. `fixed` is the user's value there, if any. */
export interface ParamChooser {
  float(p: FloatParam): number;
  cat(p: CatParam): number;
}

export interface Built {
  config: TrialConfig;
  obs: Observation;
}

const catItems = (d: Domain): readonly unknown[] => (d.__tunelab === "choice" ? d.categories : d.__tunelab === "grid" ? d.values : []);

/** True when `node` holds a domain somewhere (a conditional category). */
export function hasDomain(node: unknown): boolean {
  if (isDomain(node)) return true;
  if (Array.isArray(node)) return node.some(hasDomain);
  if (isPlainObject(node)) return Object.values(node).some(hasDomain);
  return false;
}

/** Could `value` have come from `node`? (A domain accepts anything; structure and constants must match.) */
function fits(node: unknown, value: unknown): boolean {
  if (isDomain(node)) return true;
  if (Array.isArray(node)) return Array.isArray(value) && value.length === node.length && node.every((n, i) => fits(n, value[i]));
  if (isPlainObject(node)) return isPlainObject(value) && Object.keys(node).every((k) => fits(node[k], value[k]));
  return JSON.stringify(node) === JSON.stringify(value);
}

/**
 * Build one config: every leaf asks `chooser` (or takes the user's `fixed` value
 * when the point gives one), then sampleFrom functions run with `rng`.
 */
export function buildConfig(space: Space, chooser: ParamChooser, rng: Rng, fixed?: TrialConfig): Built {
  const obs: Observation = {};
  const walk = (node: unknown, key: string, path: KeyPath, given: unknown, has: boolean): unknown => {
    if (isDomain(node)) {
      if (node.__tunelab === "sample_from") return has ? given : node;
      const p = paramOf(node, key, path);
      if (p.kind === "cat") {
        const items = catItems(node);
        let i = -1;
        if (has) i = items.findIndex((c) => fits(c, given));
        if (i < 0) i = chooser.cat(p);
        obs[key] = i;
        const item = items[i];
        return hasDomain(item) ? walk(item, `${key}[=${i}]`, path, given, has) : has ? given : item;
      }
      const x = has && typeof given === "number" ? encodeFloat(p, given) : chooser.float(p);
      const value = has && typeof given === "number" ? given : decodeFloat(p, x);
      obs[key] = encodeFloat(p, value);
      return value;
    }
    if (Array.isArray(node)) {
      const g = Array.isArray(given) ? given : undefined;
      return node.map((child, i) => walk(child, `${key}[${i}]`, [...path, i], g?.[i], g !== undefined && i < g.length));
    }
    if (isPlainObject(node)) {
      const g = isPlainObject(given) ? given : undefined;
      const out: Record<string, unknown> = {};
      for (const [k, child] of Object.entries(node)) out[k] = walk(child, key === "" ? k : `${key}.${k}`, [...path, k], g?.[k], g !== undefined && k in g);
      if (g) for (const [k, v] of Object.entries(g)) if (!(k in node)) out[k] = v;
      return out;
    }
    return has ? given : node;
  };
  const raw = walk(space, "", [], fixed, fixed !== undefined) as Space;
  // No grids are left, so resolveVariant only copies and runs sampleFrom functions.
  return { config: hasDomain(raw) ? resolveVariant(raw, 0, rng) : (raw as TrialConfig), obs };
}

/** Parameters that every config has (not under a conditional category), in space order. */
export function unconditionalParams(space: Space): Param[] {
  const out: Param[] = [];
  const walk = (node: unknown, key: string, path: KeyPath): void => {
    if (isDomain(node)) {
      if (node.__tunelab !== "sample_from") out.push(paramOf(node, key, path));
      return;
    }
    if (Array.isArray(node)) node.forEach((c, i) => walk(c, `${key}[${i}]`, [...path, i]));
    else if (isPlainObject(node)) for (const [k, c] of Object.entries(node)) walk(c, key === "" ? k : `${key}.${k}`, [...path, k]);
  };
  walk(space, "", []);
  return out;
}

/** Every parameter in the space, conditional branches included (GP inputs). */
export function allParams(space: Space): Param[] {
  const out: Param[] = [];
  const walk = (node: unknown, key: string, path: KeyPath): void => {
    if (isDomain(node)) {
      if (node.__tunelab === "sample_from") return;
      const p = paramOf(node, key, path);
      out.push(p);
      if (p.kind === "cat") catItems(node).forEach((item, i) => { if (hasDomain(item)) walk(item, `${key}[=${i}]`, path); });
      return;
    }
    if (Array.isArray(node)) node.forEach((c, i) => walk(c, `${key}[${i}]`, [...path, i]));
    else if (isPlainObject(node)) for (const [k, c] of Object.entries(node)) walk(c, key === "" ? k : `${key}.${k}`, [...path, k]);
  };
  walk(space, "", []);
  return out;
}

/** A uniform draw on the internal scale (the prior every searcher starts from). */
export const randomChooser = (rng: Rng): ParamChooser => ({
  float: (p) => p.low + rng.next() * (p.high - p.low),
  cat: (p) => rng.int(0, p.n),
});

export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** erfc with relative error < 1.2e-7 (Numerical Recipes' Chebyshev fit). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9; no refinement step). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const dd = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  let x: number;
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = dd as [number, number, number, number];
  if (p < lowP) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  } else if (p <= 1 - lowP) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  return x;
}
