/**
 * What model-based searchers remember about trials: the internal values of
 * the parameters they suggested, the state, and the loss (the metric, negated
 * for mode "max", so lower is always better). One record per trial, JSON as is,
 * so a searcher's save() is this history plus its Rng state.
 */
import type { Mode } from "../config.ts";
import type { Result, SearchContext } from "../interfaces.ts";
import type { RngState } from "../random.ts";
import type { Observation } from "./params.ts";

export interface TrialRecord {
  id: string;
  obs: Observation;
  state: "running" | "done" | "error";
  /** Loss of the last result that carried the metric (lower is better). */
  loss?: number;
  /** BOHB: loss by budget (training_iteration), from intermediate results. */
  budgets?: Record<string, number>;
}

/** Thrown by setup() when a model-based searcher has no metric or mode to optimise. */
export class SearcherOptionError extends Error {
  override readonly name = "SearcherOptionError";
}

/** The metric and mode a model-based searcher optimises; the message names the missing option. */
export function requireObjective(kind: string, ctx: SearchContext): { metric: string; mode: Mode } {
  if (ctx.metric === undefined || ctx.mode === undefined) {
    const missing = [ctx.metric === undefined ? "metric" : "", ctx.mode === undefined ? "mode" : ""].filter(Boolean).join(" and ");
    throw new SearcherOptionError(
      `search: ${kind} learns from results, so the config needs ${missing} (e.g. metric: "loss", mode: "min")`,
    );
  }
  return { metric: ctx.metric, mode: ctx.mode };
}

/** The loss in `result`, or undefined when the result lacks the metric or it is not a finite number. */
export function lossOf(result: Result | undefined, metric: string, mode: Mode): number | undefined {
  const v = result?.[metric];
  if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  return mode === "max" ? -v : v;
}

/** Trials in suggestion order, with results folded in. */
export class History {
  readonly trials: TrialRecord[] = [];
  private readonly byId = new Map<string, TrialRecord>();

  constructor(private readonly metric: string, private readonly mode: Mode) {}

  add(id: string, obs: Observation): void {
    const record: TrialRecord = { id, obs, state: "running" };
    this.trials.push(record);
    this.byId.set(id, record);
  }

  get(id: string): TrialRecord | undefined {
    return this.byId.get(id);
  }

  /** An intermediate result: remember its loss (the last one counts) and, with a budget, the loss at that budget. */
  result(id: string, result: Result): void {
    const record = this.byId.get(id);
    const loss = lossOf(result, this.metric, this.mode);
    if (!record || loss === undefined) return;
    record.loss = loss;
    const budget = result.training_iteration;
    if (typeof budget === "number" && Number.isFinite(budget)) (record.budgets ??= {})[String(budget)] = loss;
  }

  /** A finished trial: the final result's metric, else the last intermediate one; no metric at all counts as an error. */
  complete(id: string, result: Result | undefined, errored: boolean): void {
    const record = this.byId.get(id);
    if (!record) return;
    if (result) this.result(id, result);
    record.state = errored || record.loss === undefined ? "error" : "done";
  }

  /** Completed trials with a loss. */
  done(): TrialRecord[] {
    return this.trials.filter((t) => t.state === "done");
  }

  running(): TrialRecord[] {
    return this.trials.filter((t) => t.state === "running");
  }

  save(): TrialRecord[] {
    return this.trials;
  }

  load(records: readonly TrialRecord[]): void {
    this.trials.length = 0;
    this.byId.clear();
    for (const r of records) {
      const copy: TrialRecord = { ...r, obs: { ...r.obs }, ...(r.budgets ? { budgets: { ...r.budgets } } : {}) };
      this.trials.push(copy);
      this.byId.set(copy.id, copy);
    }
  }
}

/** The common part of model-based searchers' saved state. */
export interface ModelState {
  version: 1;
  kind: string;
  rng: RngState;
  suggested: number;
  trials: TrialRecord[];
  model?: unknown;
}

export function isModelState(state: unknown, kind: string): state is ModelState {
  const s = state as Partial<ModelState> | null;
  return s !== null && typeof s === "object" && s.version === 1 && s.kind === kind && Array.isArray(s.rng) && s.rng.length === 4
    && typeof s.suggested === "number" && Array.isArray(s.trials);
}
