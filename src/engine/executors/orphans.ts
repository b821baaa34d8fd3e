/**
 * A runner killed with -9 leaves its trials running. On resume, those process
 * groups are killed before the trials restart from their checkpoints, so no
 * trial runs twice at once. A pid is only trusted if the process still carries
 * that trial's TUNELAB_TRIAL_ID (pids get reused).
 */
import { readFileSync } from "node:fs";

/** True when `pid` is alive and is the process that was started for `trialId`. */
export function isTrialProcess(pid: number, trialId: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, "latin1");
    return environ.split("\0").includes(`TUNELAB_TRIAL_ID=${trialId}`);
  } catch {
    return false;
  }
}

/** Kills the leftover process group of an interrupted trial; says whether it found one. */
export function killLeftoverTrial(pid: number, trialId: string): boolean {
  if (!isTrialProcess(pid, trialId)) return false;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      return false;
    }
  }
  return true;
}
