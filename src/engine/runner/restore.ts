/** Rebuilds the runner's trials from a replayed journal, for `tunelab resume`. */
import type { ExperimentState } from "../store/state.ts";
import { Trial } from "./trial.ts";

/**
 * Finished trials stay finished (never rerun); a trial that was RUNNING when
 * the runner died goes back to PENDING and restarts from its latest checkpoint
 * without counting a failure; PAUSED trials wait for the scheduler.
 */
export function restoreTrials(state: ExperimentState): Trial[] {
  return state.trials.map((s) => {
    const trial = new Trial(s.id, s.index, s.config, s.resources, s.id);
    trial.status = s.status === "RUNNING" ? "PENDING" : s.status;
    trial.iteration = s.iteration;
    trial.lastResult = s.lastResult;
    trial.attempts = s.attempts;
    trial.failures = s.failures;
    trial.checkpoints = s.checkpoints.map((c) => ({ ...c }));
    trial.error = s.error;
    trial.stoppedBy = s.stoppedBy;
    const total = s.lastResult?.time_total_s;
    trial.timeTotalS = typeof total === "number" ? total : 0;
    return trial;
  });
}

/** The id prefix of an experiment's trials, so resumed trials keep the same naming. */
export function runIdOf(state: ExperimentState): string | undefined {
  return state.trials[0]?.id.split("_")[0];
}
