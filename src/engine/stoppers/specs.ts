/** Stopping criteria as tagged data (Ray Tune's stoppers). */
import type { Mode } from "../config.ts";
import type { Result } from "../interfaces.ts";

export type StopFn = (trialId: string, result: Result) => boolean;

/** Ray's dict form: stop a trial once `result[key] >= value` for any key. */
export type StopDict = Readonly<Record<string, number>>;

export type StopperSpec =
  | { readonly __stopper: "max_iter"; readonly maxIter: number }
  | { readonly __stopper: "trial_timeout"; readonly seconds: number }
  | { readonly __stopper: "experiment_timeout"; readonly seconds: number }
  | {
      readonly __stopper: "plateau";
      readonly metric: string;
      readonly std: number;
      readonly numResults: number;
      readonly gracePeriod: number;
      readonly metricThreshold?: number;
      readonly mode?: Mode;
    }
  | { readonly __stopper: "function"; readonly fn: StopFn };

export type StopSpec = StopDict | StopperSpec | StopFn | readonly (StopDict | StopperSpec | StopFn)[];

export const maxIterations = (maxIter: number): StopperSpec => ({ __stopper: "max_iter", maxIter });
/** Stop any trial that has run longer than `seconds` of wall time, reporting or not. */
export const trialTimeout = (seconds: number): StopperSpec => ({ __stopper: "trial_timeout", seconds });
export const experimentTimeout = (seconds: number): StopperSpec => ({ __stopper: "experiment_timeout", seconds });
/** Ray's TrialPlateauStopper: stop when the std of the last `numResults` values is below `std`. */
export const plateau = (o: { metric: string; std?: number; numResults?: number; gracePeriod?: number; metricThreshold?: number; mode?: Mode }): StopperSpec => ({
  __stopper: "plateau",
  metric: o.metric,
  std: o.std ?? 0.01,
  numResults: o.numResults ?? 4,
  gracePeriod: o.gracePeriod ?? 4,
  ...(o.metricThreshold !== undefined ? { metricThreshold: o.metricThreshold } : {}),
  ...(o.mode !== undefined ? { mode: o.mode } : {}),
});
export const stopWhen = (fn: StopFn): StopperSpec => ({ __stopper: "function", fn });
