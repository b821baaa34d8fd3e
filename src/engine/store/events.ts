/**
 * The journal's event types: `events.jsonl` holds one per line, in order.
 * Replaying them (state.ts) rebuilds everything the runner knew, so this file
 * is the contract between the runner, resume, the CLI and the extension.
 * Paths are relative to the experiment dir; `ts` is milliseconds since epoch.
 */
import type { Result, TrialConfig } from "../interfaces.ts";
import type { TrialHandle } from "../executors/executor.ts";

export type EndStatus = "TERMINATED" | "ERROR" | "PAUSED";
export type ExperimentOutcome = "completed" | "stopped" | "time_budget" | "error";

export interface TrialResources {
  cpu: number;
  gpu: number;
}

export type JournalEvent =
  /** First line of every journal: who this experiment is. */
  | { t: "experiment"; ts: number; name: string; seed: number; configPath: string; metric?: string; mode?: "min" | "max"; runId?: string }
  /** A runner (re)attached to this dir after a crash or `tunelab resume`. */
  | { t: "resume"; ts: number }
  /** A trial was created with its config. `index` is its 0-based creation order. */
  | { t: "trial"; ts: number; id: string; index: number; config: TrialConfig; resources: TrialResources }
  /**
   * A process for the trial started. `iteration` is where it resumes (0 when fresh); `note` says why
   * it restarts from an older checkpoint than its newest, or from scratch (e.g. a lost host holds it).
   */
  | { t: "start"; ts: number; id: string; attempt: number; iteration: number; restore?: string; pid?: number; gpuIds?: number[]; note?: string }
  /**
   * Where a remote trial's process can be found again (ssh host and pid, Slurm job): a runner
   * that restarts re-attaches to it instead of starting it twice. `reattached` marks a resume.
   */
  | { t: "handle"; ts: number; id: string; attempt: number; handle: TrialHandle; reattached?: boolean }
  /** One acknowledged result, with the auto-filled fields. */
  | { t: "result"; ts: number; id: string; r: Result }
  /** A checkpoint directory was persisted at `path` (e.g. `<trial>/checkpoint_000003`). */
  | { t: "checkpoint"; ts: number; id: string; iteration: number; path: string; score?: number }
  /** Retention removed a checkpoint. */
  | { t: "checkpoint_removed"; ts: number; id: string; path: string }
  /** The trial's process ended. `retry` means it goes back to PENDING (failure counted). */
  | { t: "end"; ts: number; id: string; status: EndStatus; error?: string; retry?: boolean; stoppedBy?: string; notCounted?: boolean }
  /**
   * The trial's config changed (PBT exploit/explore): it resumes with `config` from a copy of
   * `donorId`'s checkpoint, placed at `checkpoint` in its own dir (at `iteration`).
   */
  | { t: "config"; ts: number; id: string; config: TrialConfig; donorId?: string; checkpoint?: string; iteration?: number; note?: string }
  /** The trial's resources changed (ResourceChangingScheduler); it restarts with them. */
  | { t: "resources"; ts: number; id: string; resources: TrialResources }
  /** Snapshot of the searcher's saved state (replaces the previous one). */
  | { t: "searcher"; ts: number; state: unknown }
  /** Snapshot of the scheduler's saved state. */
  | { t: "scheduler"; ts: number; state: unknown }
  /** The experiment finished; a resume of a finished experiment does nothing. */
  | { t: "finished"; ts: number; outcome: ExperimentOutcome; message?: string };
