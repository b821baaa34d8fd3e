/**
 * What every scheduler needs: the objective (metric and mode, from its own
 * options or the experiment's), option checks with messages that name the
 * option, and a live index of the trials it was told about.
 */
import type { Mode } from "../config.ts";
import type { Result, SchedulerContext, TrialView } from "../interfaces.ts";
import { didYouMean } from "../space/diagnostics.ts";

/** A scheduler option the engine cannot use; the message names the scheduler and the option. */
export class SchedulerOptionError extends Error {
  override readonly name = "SchedulerOptionError";
}

export interface Objective {
  metric: string;
  mode: Mode;
  /** +1 for max, -1 for min: `sign * value` is "higher is better". */
  sign: 1 | -1;
}

/** The scheduler's metric and mode: its own options win, else the experiment's (as Ray's set_search_properties). */
export function resolveObjective(kind: string, own: { metric?: unknown; mode?: unknown }, ctx: SchedulerContext): Objective {
  const metric = own.metric ?? ctx.metric;
  const mode = own.mode ?? ctx.mode;
  if (typeof metric !== "string" || metric === "") {
    throw new SchedulerOptionError(`scheduler ${kind}: no metric to compare trials by; set \`metric\` in the config or in ${kind}({ metric })`);
  }
  if (mode !== "min" && mode !== "max") {
    throw new SchedulerOptionError(
      `scheduler ${kind}: mode must be "min" or "max" (got ${JSON.stringify(mode)}); set \`mode\` in the config or in ${kind}({ mode })`,
    );
  }
  return { metric, mode, sign: mode === "max" ? 1 : -1 };
}

/** A finite number at `key` of the result, else undefined (missing, NaN, or not a number). */
export function numberAt(result: Result | undefined, key: string): number | undefined {
  const v = result?.[key];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/** Throws for an option key the scheduler does not know, suggesting the closest one. */
export function checkKeys(kind: string, options: Readonly<Record<string, unknown>>, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (key === "kind" || known.includes(key)) continue;
    const near = didYouMean(key, known);
    throw new SchedulerOptionError(`scheduler ${kind}: unknown option "${key}"${near ? ` (did you mean "${near}"?)` : ""}; known: ${known.join(", ")}`);
  }
}

/** A positive number option, or its default. */
export function positiveOption(kind: string, options: Readonly<Record<string, unknown>>, key: string, fallback: number, allowZero = false): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw new SchedulerOptionError(`scheduler ${kind}: ${key} must be a ${allowZero ? "non-negative" : "positive"} number (got ${JSON.stringify(v)})`);
  }
  return v;
}

export function stringOption(kind: string, options: Readonly<Record<string, unknown>>, key: string, fallback: string): string {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== "string" || v === "") throw new SchedulerOptionError(`scheduler ${kind}: ${key} must be a result field name (got ${JSON.stringify(v)})`);
  return v;
}

export function booleanOption(kind: string, options: Readonly<Record<string, unknown>>, key: string, fallback: boolean): boolean {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") throw new SchedulerOptionError(`scheduler ${kind}: ${key} must be true or false (got ${JSON.stringify(v)})`);
  return v;
}

/**
 * The trials a scheduler was told about, by id. The runner hands the same live objects on
 * every call, so `status` read here is current (which trials run, which wait).
 */
export class TrialIndex {
  private readonly views = new Map<string, TrialView>();

  add(trial: TrialView): void {
    this.views.set(trial.id, trial);
  }

  get(id: string): TrialView | undefined {
    return this.views.get(id);
  }

  delete(id: string): void {
    this.views.delete(id);
  }

  all(): IterableIterator<TrialView> {
    return this.views.values();
  }

  anyWithStatus(...statuses: TrialView["status"][]): boolean {
    for (const t of this.views.values()) if (statuses.includes(t.status)) return true;
    return false;
  }
}

/** numpy.percentile with linear interpolation, ignoring NaN (as np.nanpercentile); undefined when empty. */
export function percentile(values: readonly number[], q: number): number | undefined {
  const xs = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (xs.length === 0) return undefined;
  const pos = (q / 100) * (xs.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = xs[lo] as number;
  const b = xs[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** numpy.median. */
export function median(values: readonly number[]): number {
  return percentile(values, 50) ?? NaN;
}
