/**
 * Ray's ResourceChangingScheduler: wraps another scheduler and, when the base
 * scheduler lets a trial CONTINUE, may instead ask for a restart with more or
 * fewer CPUs/GPUs (a RESOURCES decision; the trial resumes from its latest
 * checkpoint). The default allocation spreads the capacity evenly over the
 * live trials and gives what is left over to the best ones.
 */
import type { Decision, Result, Scheduler, SchedulerContext, TrialView } from "../interfaces.ts";
import { numberAt, SchedulerOptionError, TrialIndex } from "./common.ts";

export interface Capacity {
  cpu: number;
  gpu: number;
}

/** What an allocation function sees; it returns the trial's new resources, or undefined to keep them. */
export interface AllocationInput {
  trial: TrialView;
  result: Result;
  /** Live (not finished) trials, best first by the metric when it is known. */
  liveTrials: readonly TrialView[];
  capacity: Capacity;
  /** The resources every trial started with. */
  base: Capacity;
}

export type AllocationFunction = (input: AllocationInput) => Capacity | undefined;

/**
 * Default: each live trial gets floor(capacity / live) (at least its base); the remainder
 * goes one unit each to the best trials. A trial grows only into resources that are free.
 */
export const distributeResources: AllocationFunction = ({ trial, result, liveTrials, capacity, base }) => {
  if ((numberAt(result, "training_iteration") ?? 1) < 1) return undefined;
  const rank = liveTrials.findIndex((t) => t.id === trial.id);
  if (rank < 0) return undefined;
  const share = (total: number, min: number): number => {
    if (min === 0) return 0;
    const slots = Math.floor(total / min);
    const each = Math.floor(slots / liveTrials.length);
    const extra = rank < slots % liveTrials.length ? 1 : 0;
    return Math.max(min, (each + extra) * min);
  };
  const used = (key: "cpu" | "gpu"): number => liveTrials.filter((t) => t.status === "RUNNING" && t.id !== trial.id).reduce((a, t) => a + t.resources[key], 0);
  const fit = (key: "cpu" | "gpu"): number => Math.min(share(capacity[key], base[key]), Math.max(base[key], capacity[key] - used(key)));
  const next = { cpu: fit("cpu"), gpu: fit("gpu") };
  return next.cpu === trial.resources.cpu && next.gpu === trial.resources.gpu ? undefined : next;
};

export interface ResourceChangingOptions {
  allocationFunction?: AllocationFunction;
  /** CPUs/GPUs the experiment may use. Default: the context's capacity when the runner gives one. */
  capacity?: Capacity;
  metric?: string;
  mode?: "min" | "max";
}

export class ResourceChangingScheduler implements Scheduler {
  private readonly allocate: AllocationFunction;
  private readonly trials = new TrialIndex();
  private base: Capacity | undefined;
  private capacity!: Capacity;
  private metric: string | undefined;
  private sign = 1;

  constructor(private readonly inner: Scheduler, private readonly options: ResourceChangingOptions = {}) {
    this.allocate = options.allocationFunction ?? distributeResources;
  }

  setup(ctx: SchedulerContext & { capacity?: Capacity }): void {
    this.inner.setup(ctx);
    const capacity = this.options.capacity ?? ctx.capacity;
    if (!capacity) {
      throw new SchedulerOptionError("scheduler resourceChanging: the total capacity is unknown; pass resourceChanging(base, { capacity: { cpu: 8, gpu: 0 } })");
    }
    this.capacity = capacity;
    this.metric = this.options.metric ?? ctx.metric;
    this.sign = (this.options.mode ?? ctx.mode) === "min" ? -1 : 1;
  }

  onTrialAdd(trial: TrialView): void {
    this.trials.add(trial);
    this.base ??= { cpu: trial.resources.cpu, gpu: trial.resources.gpu };
    this.inner.onTrialAdd(trial);
  }

  onTrialResult(trial: TrialView, result: Result): Decision {
    const decision = this.inner.onTrialResult(trial, result);
    if (decision !== "CONTINUE" || !this.base) return decision;
    const live = [...this.trials.all()].filter((t) => t.status !== "TERMINATED" && t.status !== "ERROR");
    const score = (t: TrialView): number => {
      const v = numberAt(t.id === trial.id ? result : t.lastResult, this.metric ?? "");
      return v === undefined ? -Infinity : this.sign * v;
    };
    live.sort((a, b) => score(b) - score(a));
    const next = this.allocate({ trial, result, liveTrials: live, capacity: this.capacity, base: this.base });
    if (!next || (next.cpu === trial.resources.cpu && next.gpu === trial.resources.gpu)) return decision;
    return { kind: "RESOURCES", resources: next };
  }

  onTrialComplete(trial: TrialView, result: Result | undefined): void {
    this.inner.onTrialComplete(trial, result);
  }

  onTrialError(trial: TrialView): void {
    this.inner.onTrialError(trial);
  }

  onTrialRemove(trial: TrialView): void {
    this.inner.onTrialRemove(trial);
  }

  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    return this.inner.chooseTrialToRun(candidates);
  }

  takeActions(): readonly { trialId: string; decision: Decision }[] {
    return this.inner.takeActions?.() ?? [];
  }

  /** The wrapped scheduler (for PBT's policy lines, and tests). */
  get wrapped(): Scheduler {
    return this.inner;
  }

  save(): unknown {
    return { inner: this.inner.save(), base: this.base ?? null };
  }

  restore(state: unknown): void {
    const s = state as { inner: unknown; base: Capacity | null };
    this.inner.restore(s.inner);
    this.base = s.base ?? undefined;
  }
}
