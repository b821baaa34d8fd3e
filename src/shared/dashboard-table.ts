/** Sorting, filtering and ranking of trials for the table, the best card and the highlighted curves. */
import type { TrialSummary } from "./dashboard-types.ts";

/** A column: `id`, `status`, `iteration`, `best`, `m:<metric>` (last value) or `c:<param path>` (config). */
export type ColumnKey = string;

export function cellValue(t: TrialSummary, key: ColumnKey): unknown {
  switch (key) {
    case "id": return t.id;
    case "index": return t.index;
    case "status": return t.status;
    case "iteration": return t.iteration;
    case "best": return t.best;
  }
  if (key.startsWith("m:")) return t.last[key.slice(2)];
  if (key.startsWith("c:")) return t.config[key.slice(2)];
  return undefined;
}

/** Numbers before strings before missing values; numbers numerically, the rest by text. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 0) return (a as number) - (b as number);
  if (ra === 2) return 0;
  return textOf(a).localeCompare(textOf(b));
}

function rank(v: unknown): number {
  if (typeof v === "number" && !Number.isNaN(v)) return 0;
  if (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))) return 2;
  return 1;
}

export function textOf(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number(v.toPrecision(6)).toString();
  return JSON.stringify(v) ?? "";
}

/** A new array sorted by `key`; missing values last in both directions, ties by creation order. */
export function sortTrials(trials: readonly TrialSummary[], key: ColumnKey, desc = false): TrialSummary[] {
  const keyed = trials.map((t) => ({ t, v: cellValue(t, key) }));
  keyed.sort((x, y) => compareKeyed(x.v, x.t.index, y.v, y.t.index, desc));
  return keyed.map((k) => k.t);
}

function compareKeyed(xv: unknown, xi: number, yv: unknown, yi: number, desc: boolean): number {
  const missX = rank(xv) === 2;
  const missY = rank(yv) === 2;
  if (missX !== missY) return missX ? 1 : -1;
  const c = compareValues(xv, yv);
  return (desc ? -c : c) || xi - yi;
}

/**
 * Puts `changed` (new versions of trials, some perhaps new) into `sorted` (as
 * sortTrials would order it) in place: their old entries out, each new one in
 * by binary search. A live delta of 100 trials costs a pass and 100 inserts
 * instead of re-sorting 10,000 rows. `keep` drops trials the filter rejects.
 */
export function resortChanged(sorted: TrialSummary[], changed: readonly TrialSummary[], key: ColumnKey, desc = false, keep: (t: TrialSummary) => boolean = () => true): TrialSummary[] {
  const ids = new Set(changed.map((t) => t.id));
  let w = 0;
  for (let r = 0; r < sorted.length; r++) if (!ids.has(sorted[r]!.id)) sorted[w++] = sorted[r]!;
  sorted.length = w;
  for (const t of changed) {
    if (!keep(t)) continue;
    const v = cellValue(t, key);
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = sorted[mid]!;
      if (compareKeyed(cellValue(m, key), m.index, v, t.index, desc) < 0) lo = mid + 1;
      else hi = mid;
    }
    sorted.splice(lo, 0, t);
  }
  return sorted;
}

type Predicate = (t: TrialSummary) => boolean;

/**
 * Parses a filter: space-separated terms, all of which must hold. A term is
 * `key<op>value` with op one of `= != < <= > >=` (key: a column key, or a bare
 * config/metric name), or free text matched against the id, status and config.
 */
export function parseFilter(query: string): Predicate {
  const terms = query.trim().split(/\s+/).filter(Boolean).map(parseTerm);
  return (t) => terms.every((p) => p(t));
}

function parseTerm(term: string): Predicate {
  const m = /^([^<>=!]+)(<=|>=|!=|=|<|>)(.*)$/.exec(term);
  if (!m) {
    const needle = term.toLowerCase();
    return (t) => t.id.toLowerCase().includes(needle) || t.status.toLowerCase().includes(needle) ||
      Object.values(t.config).some((v) => textOf(v).toLowerCase().includes(needle));
  }
  const [, key, op, raw] = m as unknown as [string, string, string, string];
  const num = Number(raw);
  const numeric = raw !== "" && Number.isFinite(num);
  return (t) => {
    const v = lookup(t, key);
    if (v === undefined) return false;
    const c = numeric && typeof v === "number" ? v - num : textOf(v).toLowerCase().localeCompare(raw.toLowerCase());
    switch (op) {
      case "=": return numeric && typeof v === "number" ? c === 0 : textOf(v).toLowerCase() === raw.toLowerCase();
      case "!=": return numeric && typeof v === "number" ? c !== 0 : textOf(v).toLowerCase() !== raw.toLowerCase();
      case "<": return c < 0;
      case "<=": return c <= 0;
      case ">": return c > 0;
      default: return c >= 0;
    }
  };
}

function lookup(t: TrialSummary, key: string): unknown {
  const direct = cellValue(t, key);
  if (direct !== undefined) return direct;
  if (key in t.config) return t.config[key];
  return t.last[key];
}

export function filterTrials(trials: readonly TrialSummary[], query: string): TrialSummary[] {
  if (query.trim() === "") return trials.slice();
  const p = parseFilter(query);
  return trials.filter(p);
}

/** A trial's score for ranking: its best metric value, else its last one. */
export function scoreOf(t: TrialSummary, metric: string | undefined): number | undefined {
  if (t.best !== undefined) return t.best;
  const v = metric === undefined ? undefined : t.last[metric];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** The `k` best trials by the experiment's metric and mode (trials without a value are left out). O(n·k). */
export function topTrials(trials: readonly TrialSummary[], metric: string | undefined, mode: "min" | "max" | undefined, k: number): TrialSummary[] {
  const sign = mode === "min" ? 1 : -1;
  const top: { t: TrialSummary; s: number }[] = [];
  const worse = (a: { t: TrialSummary; s: number }, b: { t: TrialSummary; s: number }): boolean => sign * (a.s - b.s) > 0 || (a.s === b.s && a.t.index > b.t.index);
  for (const t of trials) {
    const s = scoreOf(t, metric);
    if (s === undefined || Number.isNaN(s)) continue;
    const item = { t, s };
    if (top.length === k && !worse(top[k - 1]!, item)) continue;
    let i = top.length;
    while (i > 0 && worse(top[i - 1]!, item)) i--;
    top.splice(i, 0, item);
    if (top.length > k) top.pop();
  }
  return top.map((x) => x.t);
}
