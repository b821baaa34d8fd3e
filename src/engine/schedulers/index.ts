/** Builds the scheduler a config names. */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { SchedulerSpec } from "../config.ts";
import type { Scheduler } from "../interfaces.ts";
import { levenshtein } from "../space/diagnostics.ts";
import { AshaScheduler } from "./asha.ts";
import { SchedulerOptionError } from "./common.ts";
import { FifoScheduler } from "./fifo.ts";
import { HyperBandForBohbScheduler } from "./hyperband-bohb.ts";
import { HyperBandScheduler } from "./hyperband.ts";
import { MedianStoppingScheduler } from "./median-stopping.ts";
import { Pb2Scheduler } from "./pb2.ts";
import type { PolicyLine } from "./pbt-explore.ts";
import { parsePolicy, PbtReplayScheduler } from "./pbt-replay.ts";
import { PbtScheduler } from "./pbt.ts";
import { ResourceChangingScheduler, type ResourceChangingOptions } from "./resource-changing.ts";

export interface SchedulerEnv {
  /** Folder relative paths in options (pbtReplay's policyFile) are resolved from: the config file's. Default: cwd. */
  baseDir?: string;
}

const options = (spec: SchedulerSpec): Record<string, unknown> => {
  const { kind: _kind, ...rest } = spec;
  return rest;
};

const factories: Record<string, (spec: SchedulerSpec, env: SchedulerEnv) => Scheduler> = {
  fifo: () => new FifoScheduler(),
  asha: (spec) => new AshaScheduler(options(spec)),
  hyperband: (spec) => new HyperBandScheduler(options(spec)),
  hyperband_for_bohb: (spec) => new HyperBandForBohbScheduler(options(spec)),
  median_stopping: (spec) => new MedianStoppingScheduler(options(spec)),
  pbt: (spec) => new PbtScheduler(options(spec)),
  pb2: (spec) => new Pb2Scheduler(options(spec)),
  pbt_replay: (spec, env) => {
    const file = spec.policyFile;
    if (typeof file !== "string" || file === "") throw new SchedulerOptionError("scheduler pbtReplay: policyFile must be the path of a pbt_policy_<trial>.txt");
    const path = isAbsolute(file) ? file : resolve(env.baseDir ?? process.cwd(), file);
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw new SchedulerOptionError(`scheduler pbtReplay: cannot read policyFile ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    return new PbtReplayScheduler(parsePolicy(text, path));
  },
  resource_changing: (spec, env) => {
    const { base, ...rest } = options(spec);
    return new ResourceChangingScheduler(createScheduler(base as SchedulerSpec | undefined, env), rest as ResourceChangingOptions);
  },
};

/** Scheduler kinds createScheduler knows (the validator reports others). */
export function schedulerKinds(): string[] {
  return Object.keys(factories);
}

/** The scheduler for `spec`; no spec means FIFO. Throws SchedulerOptionError naming the bad option. */
export function createScheduler(spec: SchedulerSpec | undefined, env: SchedulerEnv = {}): Scheduler {
  const kind = spec?.kind ?? "fifo";
  const factory = factories[kind];
  if (!factory) {
    const near = schedulerKinds().find((k) => levenshtein(k, kind) <= 3);
    throw new SchedulerOptionError(`scheduler: unknown kind "${kind}"${near ? ` (did you mean "${near}"?)` : ""}; known kinds: ${schedulerKinds().join(", ")}`);
  }
  return factory(spec ?? { kind }, env);
}

/** PBT's and PB2's policy-log lines since the last call (none for other schedulers), for the runner to write under the experiment dir. */
export function drainPolicyLines(scheduler: Scheduler): PolicyLine[] {
  const target = scheduler instanceof ResourceChangingScheduler ? scheduler.wrapped : scheduler;
  // Pb2Scheduler extends PbtScheduler.
  return target instanceof PbtScheduler ? target.drainPolicyLines() : [];
}

export { SchedulerOptionError } from "./common.ts";
export type { PolicyLine } from "./pbt-explore.ts";
export { parsePolicy } from "./pbt-replay.ts";
export { distributeResources, type AllocationFunction, type AllocationInput, type Capacity } from "./resource-changing.ts";
export * from "./specs.ts";
