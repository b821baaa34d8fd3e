/**
 * What the control API (Ray's Tune Client API, plus what a UI needs) can ask
 * of a running experiment. The runner implements it; the HTTP server only
 * translates requests to these calls, so it is testable without processes.
 */
import type { Result, TrialConfig, TrialStatus } from "../interfaces.ts";
import type { Diagnostic } from "../space/validate.ts";

export interface TrialSummary {
  id: string;
  status: TrialStatus;
  config: TrialConfig;
  iteration: number;
  lastResult: Result | undefined;
  error?: string;
  stoppedBy?: string;
  /** Paths relative to the experiment dir. */
  checkpoints: { iteration: number; path: string; score?: number }[];
}

export interface ExperimentSummary {
  name: string;
  expDir: string;
  metric?: string;
  mode?: "min" | "max";
  /** running until every trial ended; stopping after a stop request. */
  status: "running" | "stopping" | "finished";
  startedAt: number;
  /** Trials the search will produce, when known. */
  total?: number;
  counts: Record<TrialStatus, number>;
}

/** The outcome of a control request: ok, or a message (and diagnostics) saying why not. */
export type ControlOutcome<T = undefined> =
  | ({ ok: true } & (T extends undefined ? { value?: undefined } : { value: T }))
  | { ok: false; status: 400 | 404 | 409; message: string; diagnostics?: Diagnostic[] };

/** One event of the live stream (SSE `event:` name = `type`). */
export type ControlEvent =
  | { type: "trial_added"; trial: TrialSummary }
  | { type: "trial_started"; trialId: string; attempt: number }
  | { type: "result"; trialId: string; result: Result }
  | { type: "trial_ended"; trialId: string; status: string; detail?: string }
  | { type: "experiment_ended"; outcome: string; message?: string };

export interface RunnerControl {
  experiment(): ExperimentSummary;
  listTrials(): TrialSummary[];
  getTrial(id: string): TrialSummary | undefined;
  /** A trial with this exact config (checked against the space's rules), queued to run next. */
  addTrial(config: TrialConfig): ControlOutcome<{ id: string }>;
  stopTrial(id: string): ControlOutcome;
  /** Pause a RUNNING trial that has a checkpoint (it resumes from it later). */
  pauseTrial(id: string): ControlOutcome;
  /** Let a PAUSED trial run again. */
  resumeTrial(id: string): ControlOutcome;
  /** Stop the whole experiment gracefully (trials resumable). */
  stopExperiment(): ControlOutcome;
  /** Live events; returns the unsubscribe function. */
  subscribe(listener: (event: ControlEvent) => void): () => void;
}
