/** The runner's mutable record of one trial (what TrialView exposes, plus process state). */
import type { Result, TrialConfig, TrialStatus, TrialView } from "../interfaces.ts";
import type { RunningTrial } from "../executors/executor.ts";
import type { TrialResources } from "../store/events.ts";

export interface CheckpointRecord {
  iteration: number;
  /** Relative to the experiment dir. */
  path: string;
  score?: number;
}

export interface StopRequest {
  status: "TERMINATED" | "PAUSED";
  reason: string;
}

/** A scheduler's change that waits until the trial's process has stopped (PBT exploit, new resources). */
export type PendingChange =
  | { kind: "EXPLOIT"; donorId: string; config: TrialConfig; note?: string }
  | { kind: "RESOURCES"; resources: TrialResources };

export class Trial implements TrialView {
  status: TrialStatus = "PENDING";
  iteration = 0;
  lastResult: Result | undefined;
  attempts = 0;
  failures = 0;
  checkpoints: CheckpointRecord[] = [];
  error: string | undefined;
  stoppedBy: string | undefined;
  /** Process state of the current attempt. */
  handle: RunningTrial | undefined;
  gpuIds: readonly number[] = [];
  attemptStartMs = 0;
  lastReportMs = 0;
  iterationsSinceRestore = 0;
  timeTotalS = 0;
  stopRequest: StopRequest | undefined;
  /** A trial being stopped answered with its final checkpoint (see Runner.onReport). */
  finalReportTaken = false;
  protocolError: string | undefined;
  pendingChange: PendingChange | undefined;
  /** Paused through the control API: not resumed until the user says so. */
  userPaused = false;

  constructor(
    readonly id: string,
    readonly index: number,
    /** Changed by PBT's exploit step (journaled as a `config` event). */
    public config: TrialConfig,
    public resources: TrialResources,
    /** Relative to the experiment dir. */
    readonly dirName: string,
  ) {}

  /** The newest kept checkpoint, where a restart resumes. */
  latestCheckpoint(): CheckpointRecord | undefined {
    let latest: CheckpointRecord | undefined;
    for (const c of this.checkpoints) if (!latest || c.iteration >= latest.iteration) latest = c;
    return latest;
  }

  get checkpointIteration(): number | undefined {
    return this.latestCheckpoint()?.iteration;
  }

  get finished(): boolean {
    return this.status === "TERMINATED" || this.status === "ERROR";
  }
}
