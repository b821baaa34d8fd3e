/** Scheduler choices for tune.config.ts, as tagged data (Ray Tune's option names, in camelCase). */
import type { Mode, SchedulerSpec } from "../config.ts";
import type { TrialConfig } from "../interfaces.ts";
import type { Bounds } from "./pb2-select.ts";
import type { Mutations } from "./pbt-explore.ts";
import type { AllocationFunction, Capacity } from "./resource-changing.ts";

/** First in, first out: every trial runs to its stopping criteria (Ray's FIFOScheduler). */
export const fifo = (): SchedulerSpec => ({ kind: "fifo" });

interface Objective {
  /** Default: the config's metric. */
  metric?: string;
  /** Default: the config's mode. */
  mode?: Mode;
}

export interface AshaOptions extends Objective {
  /** Default "training_iteration". */
  timeAttr?: string;
  /** Default 100. */
  maxT?: number;
  /** Default 1. */
  gracePeriod?: number;
  /** Default 4. */
  reductionFactor?: number;
  /** Default 1. */
  brackets?: number;
  /** Stop trials at maxT. Default true. */
  stopLastTrials?: boolean;
}

/** Asynchronous successive halving (Ray's ASHAScheduler / AsyncHyperBandScheduler). */
export const asha = (opts: AshaOptions = {}): SchedulerSpec => ({ kind: "asha", ...opts });

export interface HyperBandOptions extends Objective {
  timeAttr?: string;
  /** Default 81. */
  maxT?: number;
  /** Default 3. */
  reductionFactor?: number;
  stopLastTrials?: boolean;
}

/** Synchronous HyperBand (Ray's HyperBandScheduler): trials pause at each rung until their bracket is ready. Trainables must checkpoint. */
export const hyperband = (opts: HyperBandOptions = {}): SchedulerSpec => ({ kind: "hyperband", ...opts });

/** HyperBand as the BOHB searcher expects it (Ray's HyperBandForBOHB). */
export const hyperbandForBohb = (opts: HyperBandOptions = {}): SchedulerSpec => ({ kind: "hyperband_for_bohb", ...opts });

export interface MedianStoppingOptions extends Objective {
  /** Default "time_total_s". */
  timeAttr?: string;
  /** Default 60 (in timeAttr units). */
  gracePeriod?: number;
  /** Default 3. */
  minSamplesRequired?: number;
  /** Default 0. */
  minTimeSliceS?: number;
  /** Stop (true) or pause (false) a trial below the median. Default true. */
  hardStop?: boolean;
}

/** Ray's MedianStoppingRule. */
export const medianStopping = (opts: MedianStoppingOptions = {}): SchedulerSpec => ({ kind: "median_stopping", ...opts });

export interface PbtOptions extends Objective {
  /** Default "time_total_s". */
  timeAttr?: string;
  /** Default 60. */
  perturbationInterval?: number;
  /** Default 0. */
  burnInPeriod?: number;
  /** key → domain (multiplied by a factor or resampled), list (shifted to a neighbour), or nested object. */
  hyperparamMutations?: Mutations;
  /** Default 0.25, in (0, 0.5]. */
  quantileFraction?: number;
  /** Default 0.25. */
  resampleProbability?: number;
  /** Default [1.2, 0.8]. */
  perturbationFactors?: number[];
  customExploreFn?: (config: TrialConfig) => TrialConfig;
  /** Write pbt_global.txt and pbt_policy_<trial>.txt. Default true. */
  logConfig?: boolean;
  /** A result without timeAttr or the metric is an error. Default true. */
  requireAttrs?: boolean;
  /** Perturb all trials together at each interval. Default false. */
  synch?: boolean;
}

/** Population Based Training (Ray's PopulationBasedTraining). Trainables must checkpoint. */
export const pbt = (opts: PbtOptions): SchedulerSpec => ({ kind: "pbt", ...opts });

export interface Pb2Options extends Objective {
  /** Default "time_total_s". */
  timeAttr?: string;
  /** Default 60. */
  perturbationInterval?: number;
  /**
   * Required. key → [lower, upper] (scaled linearly; an integer stays an integer when both bounds are),
   * uniform(lower, upper), loguniform(lower, upper) (searched in log space), randint(lower, upper), or nested bounds.
   */
  hyperparamBounds: Bounds;
  /** Default 0.25, in [0, 0.5]. */
  quantileFraction?: number;
  /** Applied to the config the bandit chose. */
  customExploreFn?: (config: TrialConfig) => TrialConfig;
  /** Write pbt_global.txt and pbt_policy_<trial>.txt (PBT's files, as Ray's PB2 does). Default true. */
  logConfig?: boolean;
  /** A result without timeAttr or the metric is an error. Default true. */
  requireAttrs?: boolean;
  /** Perturb all trials together at each interval. Default false. */
  synch?: boolean;
}

/** Population Based Bandits (Ray's PB2): PBT whose explore step is a GP bandit over hyperparamBounds. Trainables must checkpoint. */
export const pb2 = (opts: Pb2Options): SchedulerSpec => ({ kind: "pb2", ...opts });

/** Replays one trial's PBT schedule from its pbt_policy_<trial>.txt (Ray's PopulationBasedTrainingReplay). Use samples: 1. */
export const pbtReplay = (opts: { policyFile: string }): SchedulerSpec => ({ kind: "pbt_replay", ...opts });

export interface ResourceChangingOptions extends Objective {
  /** Default: spread capacity evenly over live trials, the remainder to the best ones. */
  allocationFunction?: AllocationFunction;
  /** Total CPUs/GPUs. Default: what the runner schedules on. */
  capacity?: Capacity;
}

/** Wraps another scheduler and changes trials' resources as they run (Ray's ResourceChangingScheduler). */
export const resourceChanging = (base: SchedulerSpec = fifo(), opts: ResourceChangingOptions = {}): SchedulerSpec =>
  ({ kind: "resource_changing", base, ...opts });
