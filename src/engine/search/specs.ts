/** Search-algorithm specs as plain data, for `search:` in tune.config.ts. */
import type { SearchSpec } from "../config.ts";
import type { TrialConfig } from "../interfaces.ts";

/** Ray's BasicVariantGenerator: random sampling and grid expansion, one generator. */
export interface BasicVariantSpec extends SearchSpec {
  kind: "basic_variant";
  seed?: number;
  /** Configs to run first; keys they leave out are sampled from the space. */
  pointsToEvaluate?: TrialConfig[];
}

export interface BasicVariantOptions {
  seed?: number;
  pointsToEvaluate?: TrialConfig[];
}

function basicVariant(opts: BasicVariantOptions): BasicVariantSpec {
  return {
    kind: "basic_variant",
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.pointsToEvaluate !== undefined ? { pointsToEvaluate: opts.pointsToEvaluate } : {}),
  };
}

/** Random search: sample the space `samples` times (grids in the space still expand, as in Ray). */
export const randomSearch = (opts: BasicVariantOptions = {}): BasicVariantSpec => basicVariant(opts);

/** Grid search: every combination of the `grid(...)` values, × `samples`. Same generator as randomSearch. */
export const gridSearch = (opts: BasicVariantOptions = {}): BasicVariantSpec => basicVariant(opts);

/** Optuna's TPESampler options, camelCased; defaults are Optuna's. */
export interface TpeOptions {
  seed?: number;
  pointsToEvaluate?: TrialConfig[];
  /** Random trials before the model is used. Default 10. */
  nStartupTrials?: number;
  /** Draws from the good model scored per suggestion. Default 24. */
  nEiCandidates?: number;
  /** Fraction of finished trials that form the good model, at most 25 trials. Default 0.1 (Optuna's default_gamma). */
  gamma?: number;
  /**
   * "tunelab" (default): joint kernels with neighbour widths, plain mixtures and one clip floor for both models;
   * lower median regret than Optuna's TPE on the bench functions (docs/search.md). "optuna": Optuna 3.x's
   * TPESampler exactly (univariate by default, prior weight 1).
   */
  flavor?: "tunelab" | "optuna";
  /** Weight of the prior kernel. Default 2 ("optuna" flavour: 1). */
  priorWeight?: number;
  considerPrior?: boolean;
  considerMagicClip?: boolean;
  considerEndpoints?: boolean;
  /** Draw the parameters every config has jointly. Default true ("optuna" flavour: false). */
  multivariate?: boolean;
  /** Count running trials as the worst observations. Default false. */
  constantLiar?: boolean;
}
export interface TpeSpec extends SearchSpec, Omit<TpeOptions, "seed"> { kind: "tpe" }

/** Tree-structured Parzen Estimator (HyperOpt's algorithm): joint kernels by default, `flavor: "optuna"` for Optuna 3.x's TPESampler exactly. Needs metric and mode. */
export const tpe = (opts: TpeOptions = {}): TpeSpec => ({ kind: "tpe", ...opts });

/** Acquisition function of BayesOpt: upper confidence bound, expected improvement or probability of improvement. */
export interface UtilitySpec {
  kind?: "ucb" | "ei" | "poi";
  /** UCB exploration weight. Default 2.576. */
  kappa?: number;
  /** EI/POI improvement margin. Default 0. */
  xi?: number;
}

/** Ray's BayesOptSearch options, camelCased. */
export interface BayesOptOptions {
  seed?: number;
  pointsToEvaluate?: TrialConfig[];
  utility?: UtilitySpec;
  /** Random trials before the Gaussian process is used. Default 10. */
  randomSearchSteps?: number;
  /** Random starts of the length-scale fit. Default 2. */
  nRestarts?: number;
}
export interface BayesOptSpec extends SearchSpec, Omit<BayesOptOptions, "seed"> { kind: "bayesopt" }

/** Gaussian-process Bayesian optimisation (Ray's BayesOptSearch). Needs metric and mode. */
export const bayesopt = (opts: BayesOptOptions = {}): BayesOptSpec => ({ kind: "bayesopt", ...opts });

/** Ray's TuneBOHB (hpbandster's config generator) options, camelCased; defaults are hpbandster's. */
export interface BohbOptions {
  seed?: number;
  pointsToEvaluate?: TrialConfig[];
  /** Trials a budget needs before it has a model. Default: dimensions + 1. */
  minPointsInModel?: number;
  /** Percent of trials at a budget that form the good model. Default 15. */
  topNPercent?: number;
  /** Draws scored per suggestion. Default 64. */
  numSamples?: number;
  /** Share of suggestions drawn at random even with a model. Default 1/3. */
  randomFraction?: number;
  /** Widening of the good model's kernels when drawing. Default 3. */
  bandwidthFactor?: number;
  /** Smallest kernel width (on the unit scale). Default 1e-3. */
  minBandwidth?: number;
}
export interface BohbSpec extends SearchSpec, Omit<BohbOptions, "seed"> { kind: "bohb" }

/** BOHB's searcher (Ray's TuneBOHB); pair it with the HyperBand-for-BOHB scheduler. Needs metric and mode. */
export const bohb = (opts: BohbOptions = {}): BohbSpec => ({ kind: "bohb", ...opts });

/** Ray's ConcurrencyLimiter options. */
export interface ConcurrencyLimiterOptions {
  maxConcurrent: number;
  /** Wait for the whole batch of maxConcurrent trials to finish before suggesting more. Default false. */
  batch?: boolean;
}
export interface ConcurrencyLimiterSpec extends SearchSpec, ConcurrencyLimiterOptions { kind: "concurrency_limiter"; searcher: SearchSpec }

/** At most `maxConcurrent` trials of `searcher` at once (Ray's ConcurrencyLimiter). */
export const limitConcurrency = (searcher: SearchSpec, opts: ConcurrencyLimiterOptions): ConcurrencyLimiterSpec =>
  ({ kind: "concurrency_limiter", searcher, ...opts });

/** Ray's Repeater options. */
export interface RepeaterOptions {
  /** Trials per config. */
  repeat: number;
  /** Put the repetition index (0..repeat-1) in the config as `__trial_index__`. Default true. */
  setIndex?: boolean;
}
export interface RepeaterSpec extends SearchSpec, RepeaterOptions { kind: "repeater"; searcher: SearchSpec }

/** Run each config of `searcher` `repeat` times; it learns the mean metric (Ray's Repeater). */
export const repeat = (searcher: SearchSpec, opts: RepeaterOptions): RepeaterSpec => ({ kind: "repeater", searcher, ...opts });
