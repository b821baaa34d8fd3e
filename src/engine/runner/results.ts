/** Ray Tune's auto-filled result fields, computed from what the runner knows. */
import { hostname } from "node:os";
import type { Result } from "../interfaces.ts";
import type { Trial } from "./trial.ts";

const HOST = hostname();

/** Fills `training_iteration`, timings, ids and `config` into a reported result (advances the trial's counters). */
export function completeResult(trial: Trial, metrics: Record<string, unknown>, nowMs: number, pid: number | undefined): Result {
  trial.iteration += 1;
  trial.iterationsSinceRestore += 1;
  const thisIter = (nowMs - (trial.lastReportMs || trial.attemptStartMs)) / 1000;
  trial.lastReportMs = nowMs;
  trial.timeTotalS += thisIter;
  return {
    ...metrics,
    training_iteration: trial.iteration,
    time_this_iter_s: round(thisIter),
    time_total_s: round(trial.timeTotalS),
    time_since_restore: round((nowMs - trial.attemptStartMs) / 1000),
    iterations_since_restore: trial.iterationsSinceRestore,
    timestamp: Math.floor(nowMs / 1000),
    trial_id: trial.id,
    done: metrics.done === true,
    hostname: HOST,
    pid: pid ?? null,
    config: trial.config,
  };
}

const round = (s: number): number => Math.round(s * 1e6) / 1e6;
