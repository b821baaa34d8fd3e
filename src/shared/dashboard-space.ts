/** Reads a config's search space (as JSON in experiment.json `spec.space`) and flattens configs to `a/b` paths. */
import type { ParamInfo } from "./dashboard-types.ts";

const LOG_KINDS = new Set(["loguniform", "qloguniform", "lograndint"]);

function isTagged(value: unknown): value is Record<string, unknown> & { __tunelab: string } {
  return typeof value === "object" && value !== null && typeof (value as { __tunelab?: unknown }).__tunelab === "string";
}

/** One ParamInfo per sampled leaf of `space` (constants and nested plain values are skipped). */
export function flattenSpace(space: unknown, prefix = "", out: ParamInfo[] = []): ParamInfo[] {
  if (typeof space !== "object" || space === null || Array.isArray(space)) return out;
  for (const [key, value] of Object.entries(space as Record<string, unknown>)) {
    const path = prefix + key;
    if (isTagged(value)) out.push(paramInfo(path, value));
    else if (typeof value === "object" && value !== null && !Array.isArray(value)) flattenSpace(value, path + "/", out);
  }
  return out;
}

function paramInfo(path: string, d: Record<string, unknown> & { __tunelab: string }): ParamInfo {
  const info: ParamInfo = { path, kind: d.__tunelab, log: LOG_KINDS.has(d.__tunelab) };
  for (const k of ["lower", "upper", "base", "q"] as const) if (typeof d[k] === "number") info[k] = d[k];
  if (Array.isArray(d.categories)) info.categories = d.categories;
  if (Array.isArray(d.values)) info.categories = d.values;
  return info;
}

/** `{a: {b: 1}}` → `{"a/b": 1}`; arrays stay whole values. */
export function flattenConfig(config: unknown, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  if (typeof config !== "object" || config === null || Array.isArray(config)) return out;
  for (const [key, value] of Object.entries(config as Record<string, unknown>)) {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) flattenConfig(value, prefix + key + "/", out);
    else out[prefix + key] = value;
  }
  return out;
}

/** The inverse of flattenConfig. */
export function unflattenConfig(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(flat)) {
    const parts = path.split("/");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = node[part];
      if (typeof next === "object" && next !== null && !Array.isArray(next)) node = next as Record<string, unknown>;
      else node = node[part] = {};
    }
    node[parts[parts.length - 1]!] = value;
  }
  return out;
}

/**
 * Parameters for a space that is not known (Ray Tune dirs have no spec): every
 * config key whose values vary, numeric ones on a log scale when they span
 * more than two decades and are all positive.
 */
export function inferParams(configs: readonly Record<string, unknown>[]): ParamInfo[] {
  const keys = new Map<string, unknown[]>();
  for (const c of configs) for (const [k, v] of Object.entries(c)) {
    let list = keys.get(k);
    if (!list) keys.set(k, (list = []));
    list.push(v);
  }
  const out: ParamInfo[] = [];
  for (const [path, values] of keys) {
    const distinct = new Set(values.map((v) => JSON.stringify(v)));
    if (distinct.size < 2) continue;
    if (values.every((v) => typeof v === "number" && Number.isFinite(v))) {
      const nums = values as number[];
      const lower = Math.min(...nums);
      const upper = Math.max(...nums);
      const log = lower > 0 && upper / lower >= 100;
      out.push({ path, kind: log ? "loguniform" : "uniform", log, lower, upper });
    } else {
      out.push({ path, kind: "choice", log: false, categories: [...distinct].map((s) => JSON.parse(s) as unknown) });
    }
  }
  return out;
}
