/**
 * ASHA, Ray's AsyncHyperBandScheduler: each bracket has rungs at
 * gracePeriod·rf^(k+s); a trial reaching a rung is stopped when its score is
 * below the (1 - 1/rf) quantile of the scores recorded there so far. No trial
 * ever waits for others, so workers never idle.
 */
import type { Decision, Result, Scheduler, SchedulerContext, TrialView } from "../interfaces.ts";
import { createRng, type Rng, type RngState } from "../random.ts";
import {
  booleanOption, checkKeys, numberAt, percentile, positiveOption, resolveObjective, SchedulerOptionError, stringOption,
  type Objective,
} from "./common.ts";

export const ASHA_OPTIONS = ["timeAttr", "metric", "mode", "maxT", "gracePeriod", "reductionFactor", "brackets", "stopLastTrials"];

interface Rung {
  milestone: number;
  /** trial id → score (sign-adjusted: higher is better). */
  recorded: Record<string, number>;
}

interface AshaState {
  brackets: Rung[][];
  trialBracket: Record<string, number>;
  rng: RngState;
}

export class AshaScheduler implements Scheduler {
  private readonly timeAttr: string;
  private readonly maxT: number;
  private readonly gracePeriod: number;
  private readonly rf: number;
  private readonly stopLastTrials: boolean;
  private objective!: Objective;
  private rng!: Rng;
  private brackets: Rung[][];
  private trialBracket: Record<string, number> = {};

  constructor(private readonly options: Readonly<Record<string, unknown>> = {}) {
    const k = "asha";
    checkKeys(k, options, ASHA_OPTIONS);
    this.timeAttr = stringOption(k, options, "timeAttr", "training_iteration");
    this.maxT = positiveOption(k, options, "maxT", 100);
    this.gracePeriod = positiveOption(k, options, "gracePeriod", 1);
    this.rf = positiveOption(k, options, "reductionFactor", 4);
    const brackets = positiveOption(k, options, "brackets", 1);
    this.stopLastTrials = booleanOption(k, options, "stopLastTrials", true);
    if (this.gracePeriod > this.maxT) throw new SchedulerOptionError(`scheduler asha: gracePeriod (${this.gracePeriod}) must be ≤ maxT (${this.maxT})`);
    if (this.rf <= 1) throw new SchedulerOptionError(`scheduler asha: reductionFactor must be > 1 (got ${this.rf})`);
    if (!Number.isInteger(brackets)) throw new SchedulerOptionError(`scheduler asha: brackets must be a whole number ≥ 1 (got ${brackets})`);
    this.brackets = Array.from({ length: brackets }, (_, s) => this.makeRungs(s));
  }

  /** Rung milestones of bracket s, highest first (as Ray's _Bracket). */
  private makeRungs(s: number): Rung[] {
    // A tiny epsilon keeps log(81)/log(3) = 3.9999… from losing a rung.
    const count = Math.floor(Math.log(this.maxT / this.gracePeriod) / Math.log(this.rf) - s + 1 + 1e-9);
    const rungs: Rung[] = [];
    for (let k = count - 1; k >= 0; k--) rungs.push({ milestone: this.gracePeriod * this.rf ** (k + s), recorded: {} });
    return rungs;
  }

  setup(ctx: SchedulerContext): void {
    this.objective = resolveObjective("asha", this.options, ctx);
    this.rng = createRng(ctx.seed ^ 0x45a5);
  }

  onTrialAdd(trial: TrialView): void {
    if (trial.id in this.trialBracket) return; // re-added after a restore
    // Ray picks a bracket at random, weighted by softmax of its rung count (more rungs, more trials).
    const sizes = this.brackets.map((b) => b.length);
    const top = Math.max(...sizes);
    const weights = sizes.map((n) => Math.exp(n - top));
    const total = weights.reduce((a, b) => a + b, 0);
    let u = this.rng.next() * total;
    let idx = 0;
    while (idx < weights.length - 1 && u >= (weights[idx] as number)) u -= weights[idx++] as number;
    this.trialBracket[trial.id] = idx;
  }

  onTrialResult(trial: TrialView, result: Result): Decision {
    const t = numberAt(result, this.timeAttr);
    const score = numberAt(result, this.objective.metric);
    if (t === undefined || score === undefined) return "CONTINUE";
    if (t >= this.maxT && this.stopLastTrials) return "STOP";
    return this.onBracketResult(trial.id, t, this.objective.sign * score);
  }

  private onBracketResult(id: string, t: number, score: number): Decision {
    const b = this.trialBracket[id];
    if (b === undefined) return "CONTINUE";
    for (const rung of this.brackets[b] as Rung[]) {
      if (t >= rung.milestone && id in rung.recorded && !this.stopLastTrials) break;
      if (t < rung.milestone || id in rung.recorded) continue;
      const cutoff = percentile(Object.values(rung.recorded), (1 - 1 / this.rf) * 100);
      rung.recorded[id] = score;
      return cutoff !== undefined && score < cutoff ? "STOP" : "CONTINUE";
    }
    return "CONTINUE";
  }

  onTrialComplete(trial: TrialView, result: Result | undefined): void {
    // A finished trial's last score still informs the rungs it reached (Ray does the same).
    const t = numberAt(result, this.timeAttr);
    const score = numberAt(result, this.objective.metric);
    if (t !== undefined && score !== undefined) this.onBracketResult(trial.id, t, this.objective.sign * score);
  }

  onTrialError(): void {}
  onTrialRemove(): void {}

  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    return candidates.find((t) => t.status === "PENDING") ?? candidates.find((t) => t.status === "PAUSED") ?? null;
  }

  save(): AshaState {
    return { brackets: this.brackets, trialBracket: this.trialBracket, rng: this.rng.state() };
  }

  restore(state: unknown): void {
    const s = state as AshaState;
    this.brackets = s.brackets;
    this.trialBracket = s.trialBracket;
    this.rng = createRng(s.rng);
  }
}
