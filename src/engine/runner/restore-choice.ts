/**
 * Where a restarting trial resumes when some of its checkpoints cannot be reached: a lazy ssh
 * checkpoint stays on the host that wrote it, and that host may be lost. The trial then goes on
 * from its newest checkpoint that can be reached, or from scratch, rather than waiting for the
 * host or failing for good (nothing it journaled is lost: the runner drops the replayed reports).
 */
import { join } from "node:path";
import type { CheckpointRecord } from "./trial.ts";

export interface RestoreChoice {
  restore: CheckpointRecord | undefined;
  /** The newest checkpoint passed over and why (undefined when the newest is used). */
  skipped?: { checkpoint: CheckpointRecord; why: string };
}

/**
 * The newest of `checkpoints` that `unreachable` does not reject (it gets the absolute local
 * dir and says why it cannot be restored). Ties go to the later record, as `latestCheckpoint`.
 */
export function chooseRestore(
  checkpoints: readonly CheckpointRecord[], expDir: string, unreachable?: (localDir: string) => string | undefined,
): RestoreChoice {
  const newestFirst = checkpoints.map((c, i) => ({ c, i })).sort((a, b) => b.c.iteration - a.c.iteration || b.i - a.i).map((x) => x.c);
  let skipped: RestoreChoice["skipped"];
  for (const checkpoint of newestFirst) {
    const why = unreachable?.(join(expDir, checkpoint.path));
    if (why === undefined) return { restore: checkpoint, ...(skipped ? { skipped } : {}) };
    skipped ??= { checkpoint, why };
  }
  return { restore: undefined, ...(skipped ? { skipped } : {}) };
}

/** The line that tells the user a trial restarts from an older checkpoint (or from scratch), and why. */
export function restoreNote(trialId: string, choice: RestoreChoice): string | undefined {
  if (!choice.skipped) return undefined;
  const from = choice.restore ? `from checkpoint ${choice.restore.path} (iteration ${choice.restore.iteration})` : "from scratch";
  return `checkpoint ${choice.skipped.checkpoint.path} ${choice.skipped.why}; restarting trial ${trialId} ${from}`;
}
