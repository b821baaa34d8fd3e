/**
 * The small interfaces between the runner and its parts: searchers suggest,
 * schedulers decide, executors run processes. Syne-tune style: parts return
 * decisions, the runner acts on them.
 */
import type { Mode } from "./config.ts";
import type { Space } from "./space/domains.ts";

/** One reported result, with Ray Tune's auto-filled fields once the runner has seen it. */
export type Result = Record<string, unknown> & {
  training_iteration?: number;
  time_total_s?: number;
  time_this_iter_s?: number;
  timestamp?: number;
  trial_id?: string;
  done?: boolean;
};

export type TrialConfig = Record<string, unknown>;

export type TrialStatus = "PENDING" | "RUNNING" | "PAUSED" | "TERMINATED" | "ERROR";

/** What searchers and schedulers may see of a trial. */
export interface TrialView {
  readonly id: string;
  readonly config: TrialConfig;
  readonly status: TrialStatus;
  readonly lastResult: Result | undefined;
  readonly iteration: number;
}

export interface Clock {
  /** Milliseconds, monotonic enough for budgets. */
  now(): number;
}

export const systemClock: Clock = { now: () => performance.timeOrigin + performance.now() };

export interface SearchContext {
  space: Space;
  metric: string | undefined;
  mode: Mode | undefined;
  samples: number;
  seed: number;
  clock: Clock;
}

export type Suggestion = TrialConfig | "wait" | "done";

export interface Searcher {
  setup(ctx: SearchContext): void;
  /** A new config for `trialId`, "wait" when none can be given yet, "done" when the search is exhausted. */
  suggest(trialId: string): Suggestion;
  onTrialResult(trialId: string, result: Result): void;
  onTrialComplete(trialId: string, result: Result | undefined, errored: boolean): void;
  /** Total trials this searcher will produce, when known (for progress). */
  total(): number | undefined;
  save(): unknown;
  restore(state: unknown): void;
}

export type Decision = "CONTINUE" | "PAUSE" | "STOP";

export interface SchedulerContext {
  metric: string | undefined;
  mode: Mode | undefined;
  seed: number;
  clock: Clock;
}

export interface Scheduler {
  setup(ctx: SchedulerContext): void;
  onTrialAdd(trial: TrialView): void;
  onTrialResult(trial: TrialView, result: Result): Decision;
  onTrialComplete(trial: TrialView, result: Result | undefined): void;
  onTrialError(trial: TrialView): void;
  onTrialRemove(trial: TrialView): void;
  /** Which PENDING or PAUSED trial to (re)start next, or null. */
  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null;
  save(): unknown;
  restore(state: unknown): void;
}
