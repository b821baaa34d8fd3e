/**
 * Turns the `stop` option into decisions. A trial stopper answers per result;
 * time-based criteria are checked on the runner's tick too, so a trial that
 * hangs without reporting is still stopped.
 */
import type { Clock, Result } from "../interfaces.ts";
import type { StopDict, StopFn, StopSpec, StopperSpec } from "./specs.ts";

export interface Stopper {
  /** Why this trial should stop after `result`, or undefined to let it run. */
  onResult(trialId: string, result: Result): string | undefined;
  /** Seconds of wall time after which any trial is stopped (trial timeout), if set. */
  readonly trialTimeoutS: number | undefined;
  /** Why the whole experiment should stop now, or undefined. */
  experimentCheck(startedAtMs: number): string | undefined;
}

function isStopperSpec(value: unknown): value is StopperSpec {
  return typeof value === "object" && value !== null && "__stopper" in value;
}

function normalise(spec: StopSpec | undefined): (StopDict | StopperSpec | StopFn)[] {
  if (spec === undefined) return [];
  return Array.isArray(spec) ? [...(spec as (StopDict | StopperSpec | StopFn)[])] : [spec as StopDict | StopperSpec | StopFn];
}

/** Ray's dict criteria: stop once `result[key] >= value` for any key (a missing key never stops). */
function dictReason(dict: StopDict, result: Result): string | undefined {
  for (const [key, limit] of Object.entries(dict)) {
    const value = result[key];
    if (typeof value === "number" && value >= limit) return `${key} ${value} >= ${limit}`;
  }
  return undefined;
}

/** Ray's TrialPlateauStopper, per trial. */
function plateauStopper(spec: Extract<StopperSpec, { __stopper: "plateau" }>): (id: string, r: Result) => string | undefined {
  const history = new Map<string, number[]>();
  const counts = new Map<string, number>();
  return (id, result) => {
    const value = result[spec.metric];
    if (typeof value !== "number") return undefined;
    const window = history.get(id) ?? [];
    window.push(value);
    if (window.length > spec.numResults) window.shift();
    history.set(id, window);
    const count = (counts.get(id) ?? 0) + 1;
    counts.set(id, count);
    if (count < spec.gracePeriod || window.length < spec.numResults) return undefined;
    if (spec.metricThreshold !== undefined) {
      const beyond = spec.mode === "max" ? value >= spec.metricThreshold : value <= spec.metricThreshold;
      if (!beyond) return undefined;
    }
    const mean = window.reduce((a, b) => a + b, 0) / window.length;
    const std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length);
    return std < spec.std ? `${spec.metric} plateaued (std ${std.toPrecision(3)} < ${spec.std} over ${window.length} results)` : undefined;
  };
}

export function createStopper(spec: StopSpec | undefined, clock: Clock, timeBudgetS?: number): Stopper {
  const perResult: ((id: string, r: Result) => string | undefined)[] = [];
  let trialTimeoutS: number | undefined;
  let experimentS = timeBudgetS;
  for (const part of normalise(spec)) {
    if (typeof part === "function") {
      perResult.push((id, r) => (part(id, r) ? "stop function returned true" : undefined));
    } else if (isStopperSpec(part)) {
      switch (part.__stopper) {
        case "max_iter":
          perResult.push((_id, r) => ((r.training_iteration ?? 0) >= part.maxIter ? `reached ${part.maxIter} iterations` : undefined));
          break;
        case "trial_timeout":
          trialTimeoutS = Math.min(trialTimeoutS ?? Infinity, part.seconds);
          break;
        case "experiment_timeout":
          experimentS = Math.min(experimentS ?? Infinity, part.seconds);
          break;
        case "plateau":
          perResult.push(plateauStopper(part));
          break;
        case "function":
          perResult.push((id, r) => (part.fn(id, r) ? "stop function returned true" : undefined));
          break;
      }
    } else {
      perResult.push((_id, r) => dictReason(part, r));
    }
  }
  return {
    trialTimeoutS,
    onResult(trialId, result) {
      for (const check of perResult) {
        const reason = check(trialId, result);
        if (reason) return reason;
      }
      return undefined;
    },
    experimentCheck(startedAtMs) {
      if (experimentS === undefined) return undefined;
      const elapsed = (clock.now() - startedAtMs) / 1000;
      return elapsed >= experimentS ? `experiment time budget of ${experimentS}s used up` : undefined;
    },
  };
}
