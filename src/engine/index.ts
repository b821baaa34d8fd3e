/**
 * The public API: what `import { ... } from "tunelab"` gives a tune.config.ts
 * (the config loader maps that specifier here, with or without node_modules).
 */
export { defineConfig } from "./config.ts";
export type {
  TuneConfig, TrainableSpec, CommandTrainable, PythonTrainable, SearchSpec, SchedulerSpec,
  ResourcesSpec, CheckpointSpec, ExecutorSpec, Mode,
} from "./config.ts";
export {
  uniform, quniform, loguniform, qloguniform, randn, qrandn, randint, qrandint, lograndint,
  choice, grid, sampleFrom,
} from "./space/domains.ts";
export type { Domain, Space } from "./space/domains.ts";
export { maxIterations, trialTimeout, experimentTimeout, plateau, stopWhen } from "./stoppers/specs.ts";
export { randomSearch, gridSearch, tpe, bayesopt, bohb, limitConcurrency, repeat } from "./search/specs.ts";
export { fifo, asha, hyperband, hyperbandForBohb, medianStopping, pbt, pb2, pbtReplay, resourceChanging } from "./schedulers/specs.ts";
export type { TuneCallback } from "./loggers/callbacks.ts";
export type { TpeOptions, BayesOptOptions, BohbOptions, ConcurrencyLimiterOptions, RepeaterOptions } from "./search/specs.ts";
export type { AshaOptions, HyperBandOptions, MedianStoppingOptions, PbtOptions, Pb2Options, ResourceChangingOptions } from "./schedulers/specs.ts";
export type { Result, TrialConfig, TrialView, Decision } from "./interfaces.ts";
