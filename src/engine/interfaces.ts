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
  /** training_iteration of the newest kept checkpoint, if the trial has one (PBT donors, HyperBand resumes). */
  readonly checkpointIteration: number | undefined;
  /** CPU/GPU the trial runs with. */
  readonly resources: { readonly cpu: number; readonly gpu: number };
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

/**
 * What a scheduler wants done with a trial. EXPLOIT (PBT): pause the trial, give it `config`
 * and a copy of `donorId`'s latest checkpoint, then let it be resumed. RESOURCES: restart the
 * trial from its latest checkpoint with new resources (ResourceChangingScheduler).
 */
export type Decision =
  | "CONTINUE"
  | "PAUSE"
  | "STOP"
  | { kind: "EXPLOIT"; donorId: string; config: TrialConfig; note?: string }
  | { kind: "RESOURCES"; resources: { cpu: number; gpu: number } };

export interface SchedulerContext {
  metric: string | undefined;
  mode: Mode | undefined;
  seed: number;
  clock: Clock;
  /** What the executor can run at once (ResourceChangingScheduler hands it out). */
  capacity?: { cpu: number; gpu: number };
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
  /**
   * Decisions about trials other than the one that just reported (e.g. HyperBand stopping
   * PAUSED trials that lost their rung). The runner drains this after every event.
   */
  takeActions?(): readonly { trialId: string; decision: Decision }[];
  save(): unknown;
  restore(state: unknown): void;
}
