/**
 * Ray's MedianStoppingRule: past the grace period, a trial stops when its best
 * result so far is worse than the median of the other trials' running
 * averages (their mean result from the grace period up to the same time).
 */
import type { Decision, Result, Scheduler, SchedulerContext, TrialView } from "../interfaces.ts";
import {
  booleanOption, checkKeys, median, numberAt, positiveOption, resolveObjective, stringOption, TrialIndex, type Objective,
} from "./common.ts";

export const MEDIAN_OPTIONS = ["timeAttr", "metric", "mode", "gracePeriod", "minSamplesRequired", "minTimeSliceS", "hardStop"];

interface MedianState {
  /** trial id → [time, metric value] of each result, in order. */
  results: Record<string, [number, number][]>;
  stopped: string[];
  lastPause: Record<string, number>;
}

export class MedianStoppingScheduler implements Scheduler {
  private readonly timeAttr: string;
  private readonly gracePeriod: number;
  private readonly minSamples: number;
  private readonly minTimeSlice: number;
  private readonly hardStop: boolean;
  private objective!: Objective;
  private readonly trials = new TrialIndex();
  private s: MedianState = { results: {}, stopped: [], lastPause: {} };

  constructor(private readonly options: Readonly<Record<string, unknown>> = {}) {
    const k = "medianStopping";
    checkKeys(k, options, MEDIAN_OPTIONS);
    this.timeAttr = stringOption(k, options, "timeAttr", "time_total_s");
    this.gracePeriod = positiveOption(k, options, "gracePeriod", 60, true);
    this.minSamples = positiveOption(k, options, "minSamplesRequired", 3, true);
    this.minTimeSlice = positiveOption(k, options, "minTimeSliceS", 0, true);
    this.hardStop = booleanOption(k, options, "hardStop", true);
  }

  setup(ctx: SchedulerContext): void {
    this.objective = resolveObjective("medianStopping", this.options, ctx);
  }

  onTrialAdd(trial: TrialView): void {
    this.trials.add(trial);
  }

  onTrialResult(trial: TrialView, result: Result): Decision {
    const time = numberAt(result, this.timeAttr);
    const value = numberAt(result, this.objective.metric);
    if (time === undefined || value === undefined) return "CONTINUE";
    if (this.s.stopped.includes(trial.id)) return "CONTINUE"; // soft-stopped and resumed: plain FIFO from now on
    (this.s.results[trial.id] ??= []).push([time, value]);
    if (time < this.gracePeriod) return "CONTINUE";
    const others = Object.keys(this.s.results).filter((id) => id !== trial.id && this.lastTime(id) >= time);
    if (others.length < this.minSamples) return this.onInsufficientSamples(trial.id, time);
    const medianResult = median(others.map((id) => this.runningMean(id, time)));
    const best = this.bestResult(trial.id);
    // Strictly worse than the median: ties continue.
    if (this.objective.sign * best < this.objective.sign * medianResult) {
      this.s.stopped.push(trial.id);
      return this.hardStop ? "STOP" : "PAUSE";
    }
    return "CONTINUE";
  }

  /** Not enough peers yet: yield the slot to a waiting trial at most every minTimeSliceS (Ray's time-slicing). */
  private onInsufficientSamples(id: string, time: number): Decision {
    const since = time - (this.s.lastPause[id] ?? -Infinity);
    if (since > this.minTimeSlice && this.trials.anyWithStatus("PENDING", "PAUSED")) {
      this.s.lastPause[id] = time;
      return "PAUSE";
    }
    return "CONTINUE";
  }

  private lastTime(id: string): number {
    const rs = this.s.results[id] ?? [];
    return rs.length ? (rs[rs.length - 1] as [number, number])[0] : -Infinity;
  }

  private runningMean(id: string, time: number): number {
    const scoped = (this.s.results[id] ?? []).filter(([t]) => t >= this.gracePeriod && t <= time).map(([, v]) => v);
    return scoped.length ? scoped.reduce((a, b) => a + b, 0) / scoped.length : NaN;
  }

  private bestResult(id: string): number {
    const values = (this.s.results[id] ?? []).map(([, v]) => v);
    return this.objective.mode === "max" ? Math.max(...values) : Math.min(...values);
  }

  onTrialComplete(trial: TrialView, result: Result | undefined): void {
    const time = numberAt(result, this.timeAttr);
    const value = numberAt(result, this.objective.metric);
    const rs = (this.s.results[trial.id] ??= []);
    const last = rs[rs.length - 1];
    // The runner hands the last result again on completion; count it once.
    if (time !== undefined && value !== undefined && !(last && last[0] === time && last[1] === value)) rs.push([time, value]);
  }

  onTrialError(): void {}
  onTrialRemove(): void {}

  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    // A soft-stopped (paused) trial resumes only when nothing else waits, as under Ray's FIFO order.
    const fresh = candidates.find((t) => t.status === "PENDING") ?? candidates.find((t) => t.status === "PAUSED" && !this.s.stopped.includes(t.id));
    return fresh ?? candidates.find((t) => t.status === "PAUSED") ?? null;
  }

  save(): MedianState {
    return this.s;
  }

  restore(state: unknown): void {
    this.s = structuredClone(state as MedianState);
  }
}
