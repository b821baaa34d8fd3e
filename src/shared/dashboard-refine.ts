/**
 * Staged tuning, coarse then fine: narrows a search space around the best
 * trials, and writes config sources (a refined tune.config.ts, or a best config
 * pinned as a `pointsToEvaluate` entry). Pure text in, text out, so the host
 * can show a diff before anything is written.
 */
import { unflattenConfig } from "./dashboard-space.ts";
import type { ParamInfo } from "./dashboard-types.ts";

/** A domain as plain tagged JSON, the shape `tune.config.ts` helpers produce. */
export type DomainJson = Record<string, unknown> & { __tunelab: string };

export interface RefineOptions {
  /** Widen the top-k range by this factor (1 = exactly the top-k range). Default 1.5. */
  widen?: number;
}

/**
 * The narrowed domain of each parameter, from the flattened configs of the top
 * trials: numeric bounds to the top-k range widened by `widen` (in log space for
 * log domains) and clamped to the original bounds; categories to those the top-k
 * used. Parameters the top-k never set keep their domain.
 */
export function narrowSpace(params: readonly ParamInfo[], top: readonly Record<string, unknown>[], options: RefineOptions = {}): Map<string, DomainJson> {
  const widen = Math.max(1, options.widen ?? 1.5);
  const out = new Map<string, DomainJson>();
  for (const p of params) {
    const values = top.map((c) => c[p.path]).filter((v) => v !== undefined);
    const original = domainOf(p);
    if (values.length === 0) {
      out.set(p.path, original);
      continue;
    }
    out.set(p.path, narrowOne(p, values, widen) ?? original);
  }
  return out;
}

function domainOf(p: ParamInfo): DomainJson {
  const d: DomainJson = { __tunelab: p.kind };
  for (const k of ["lower", "upper", "q", "base"] as const) if (p[k] !== undefined) d[k] = p[k];
  if (p.categories) d[p.kind === "grid" ? "values" : "categories"] = p.categories;
  return d;
}

function narrowOne(p: ParamInfo, values: unknown[], widen: number): DomainJson | undefined {
  if (p.kind === "choice" || p.kind === "grid") {
    const seen = new Set(values.map((v) => JSON.stringify(v)));
    const kept = (p.categories ?? []).filter((c) => seen.has(JSON.stringify(c)));
    const list = kept.length > 0 ? kept : [...seen].map((s) => JSON.parse(s) as unknown);
    return p.kind === "grid" ? { __tunelab: "grid", values: list } : { __tunelab: "choice", categories: list };
  }
  const nums = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (nums.length === 0) return undefined;
  if (p.kind === "randn" || p.kind === "qrandn") {
    const mean = nums.reduce((a, b) => a + b, 0) / nums.length;
    const sd = Math.sqrt(nums.reduce((a, b) => a + (b - mean) ** 2, 0) / nums.length) * widen;
    const d: DomainJson = { __tunelab: p.kind, mean: tidy(mean), sd: tidy(sd > 0 ? sd : (p.upper ?? 1) * 0.1 || 0.1) };
    if (p.q !== undefined) d.q = p.q;
    return d;
  }
  const lo0 = p.lower ?? Math.min(...nums);
  // randint/lograndint bounds are upper-exclusive: the largest value they can give is upper - 1.
  const exclusive = p.kind === "randint" || p.kind === "lograndint";
  const hi0 = p.upper === undefined ? Math.max(...nums) : exclusive ? p.upper - 1 : p.upper;
  let lo = Math.min(...nums);
  let hi = Math.max(...nums);
  if (p.log && lo > 0) {
    const [a, b] = widenRange(Math.log(lo), Math.log(hi), widen, Math.log(Math.max(widen, 1.5)));
    lo = Math.exp(a);
    hi = Math.exp(b);
  } else {
    const [a, b] = widenRange(lo, hi, widen, ((hi0 - lo0) || Math.abs(hi) || 1) * 0.05 * widen);
    lo = a;
    hi = b;
  }
  lo = Math.max(lo, lo0);
  hi = Math.min(hi, hi0);
  const integer = p.kind === "randint" || p.kind === "qrandint" || p.kind === "lograndint";
  if (integer) {
    lo = Math.floor(lo);
    hi = Math.ceil(hi);
  } else {
    lo = Math.max(roundDown(lo), lo0);
    hi = Math.min(roundUp(hi), hi0);
  }
  if (p.q !== undefined && p.q > 0) {
    lo = Math.max(Math.floor(lo / p.q) * p.q, lo0);
    hi = Math.min(Math.ceil(hi / p.q) * p.q, hi0);
  }
  const d: DomainJson = { __tunelab: p.kind, lower: tidy(lo), upper: tidy(exclusive ? hi + 1 : hi) };
  if (p.q !== undefined) d.q = p.q;
  if (p.base !== undefined) d.base = p.base;
  return d;
}

function widenRange(lo: number, hi: number, widen: number, zeroSpanHalf: number): [number, number] {
  const center = (lo + hi) / 2;
  const half = hi > lo ? ((hi - lo) / 2) * widen : zeroSpanHalf;
  return [center - half, center + half];
}

/** Rounds outward to 3 significant digits, so bounds read well and still hold the top-k values. */
function roundDown(x: number): number {
  if (x === 0) return 0;
  const step = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 2);
  return tidy(Math.floor(x / step) * step);
}

function roundUp(x: number): number {
  if (x === 0) return 0;
  const step = 10 ** (Math.floor(Math.log10(Math.abs(x))) - 2);
  return tidy(Math.ceil(x / step) * step);
}

const tidy = (x: number): number => Number(x.toPrecision(12));

const HELPERS: Record<string, string[]> = {
  uniform: ["lower", "upper"], quniform: ["lower", "upper", "q"], loguniform: ["lower", "upper", "base"],
  qloguniform: ["lower", "upper", "q", "base"], randn: ["mean", "sd"], qrandn: ["mean", "sd", "q"],
  randint: ["lower", "upper"], qrandint: ["lower", "upper", "q"], lograndint: ["lower", "upper", "base"],
};

/** `loguniform(0.001, 0.1)`; the helpers' default base 10 is left out. */
export function renderDomain(d: DomainJson, used: Set<string>): string {
  const kind = d.__tunelab;
  if (kind === "choice" || kind === "grid") {
    used.add(kind);
    return `${kind}(${renderValue(kind === "grid" ? d.values : d.categories, "", used)})`;
  }
  const args = HELPERS[kind];
  if (!args) return `undefined /* ${kind.replace(/\*\//g, "")} could not be copied: edit it by hand */`;
  used.add(kind);
  const vals = args.map((a) => d[a]);
  if ((kind === "loguniform" || kind === "lograndint" || kind === "qloguniform") && vals[vals.length - 1] === 10) vals.pop();
  return `${kind}(${vals.map((v) => (v === undefined ? "undefined" : JSON.stringify(v))).join(", ")})`;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** A TypeScript literal for JSON-ish `value`, with tagged domains as helper calls. */
export function renderValue(value: unknown, indent: string, used: Set<string>): string {
  if (value === null || typeof value !== "object") return value === undefined ? "undefined" : JSON.stringify(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => renderValue(v, indent + "  ", used));
    const flat = `[${items.join(", ")}]`;
    return flat.length < 80 && !flat.includes("\n") ? flat : `[\n${items.map((i) => `${indent}  ${i},`).join("\n")}\n${indent}]`;
  }
  const rec = value as Record<string, unknown>;
  if (typeof rec.__tunelab === "string") return renderDomain(rec as DomainJson, used);
  const entries = Object.entries(rec).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  const lines = entries.map(([k, v]) => `${indent}  ${IDENT.test(k) ? k : JSON.stringify(k)}: ${renderValue(v, indent + "  ", used)},`);
  return `{\n${lines.join("\n")}\n${indent}}`;
}

/** A whole tune.config.ts for `spec` (a config as JSON, e.g. experiment.json's `spec`). */
export function renderConfigSource(spec: Record<string, unknown>, headerComment: string): string {
  const used = new Set<string>(["defineConfig"]);
  const body = renderValue(spec, "", used);
  const names = ["defineConfig", ...[...used].filter((n) => n !== "defineConfig").sort()];
  const comment = headerComment.split("\n").map((l) => `// ${l}`).join("\n");
  return `${comment}\nimport { ${names.join(", ")} } from "tunelab";\n\nexport default defineConfig(${body});\n`;
}

/** `spec` with its space's parameters replaced by `narrowed` (flattened paths). */
export function refinedSpec(spec: Record<string, unknown>, narrowed: Map<string, DomainJson>): Record<string, unknown> {
  const space = structuredCloneJson(spec.space ?? {});
  for (const [path, d] of narrowed) setPath(space, path.split("/"), d);
  return { ...spec, space };
}

/** `spec` with `point` pinned first in its searcher's `pointsToEvaluate`. */
export function pinnedSpec(spec: Record<string, unknown>, point: Record<string, unknown>): Record<string, unknown> {
  const search = (typeof spec.search === "object" && spec.search !== null ? spec.search : { kind: "basic_variant" }) as Record<string, unknown>;
  const points = Array.isArray(search.pointsToEvaluate) ? search.pointsToEvaluate : [];
  return { ...spec, search: { ...search, pointsToEvaluate: [unflattenConfig(point), ...points] } };
}

/**
 * Inserts `point` as the first `pointsToEvaluate` entry of an existing config
 * source, keeping the rest of the file as the user wrote it. Undefined when the
 * file has no shape this can edit safely (the caller then offers a new file).
 */
export function pinPointInSource(source: string, point: Record<string, unknown>): string | undefined {
  const literal = renderValue(unflattenConfig(point), "      ", new Set());
  const existing = /pointsToEvaluate\s*:\s*\[/.exec(source);
  if (existing) {
    const at = existing.index + existing[0].length;
    return `${source.slice(0, at)}\n      ${literal},${source.slice(at)}`;
  }
  if (/\bsearch\s*:/.test(source)) {
    const call = /\bsearch\s*:\s*[A-Za-z_$][\w$]*\(\s*\{/.exec(source);
    if (call) {
      const at = call.index + call[0].length;
      return `${source.slice(0, at)} pointsToEvaluate: [${literal}], ${source.slice(at)}`;
    }
    return undefined;
  }
  const define = /defineConfig\(\s*\{/.exec(source);
  if (!define) return undefined;
  const at = define.index + define[0].length;
  return `${source.slice(0, at)}\n  search: { kind: "basic_variant", pointsToEvaluate: [${literal}] },${source.slice(at)}`;
}

function structuredCloneJson(v: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
}

function setPath(obj: Record<string, unknown>, parts: string[], value: unknown): void {
  let node = obj;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (typeof next !== "object" || next === null) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}
