/**
 * The library API: `await new Tuner(config).fit()` runs an experiment in this
 * process (quietly) and resolves to a ResultGrid, as Ray Tune's Tuner does.
 */
import { join, resolve } from "node:path";
import type { Mode, TuneConfig } from "./config.ts";
import { checkConfig, createRun, type RunOverrides } from "./experiment.ts";
import { createExecutor } from "./executors/index.ts";
import type { Result, TrialConfig, TrialStatus, TrialView } from "./interfaces.ts";
import { Runner, type RunnerCallbacks, type RunSummary } from "./runner.ts";
import { bestTrial } from "./cli/progress.ts";
import type { Trial } from "./runner/trial.ts";
import { flatten } from "./cli/format.ts";

export interface TunerOptions extends RunOverrides {
  /** Folder that relative paths in the config (trainable cwd, storage) are resolved from. Default: cwd. */
  baseDir?: string;
  callbacks?: readonly RunnerCallbacks[];
}

/** One trial's outcome. */
export interface TrialResult {
  trialId: string;
  status: TrialStatus;
  config: TrialConfig;
  /** The last reported result (with auto-filled fields). */
  metrics: Result | undefined;
  /** Absolute path of the latest kept checkpoint. */
  checkpoint: string | undefined;
  path: string;
  error: string | undefined;
}

export class ResultGrid {
  constructor(readonly summary: RunSummary, private readonly metric?: string, private readonly mode?: Mode) {}

  get experimentDir(): string {
    return this.summary.expDir;
  }

  /** Every trial, in creation order. */
  get results(): TrialResult[] {
    return this.summary.trials.map((t) => this.toResult(t));
  }

  /** Trials that ended in ERROR, with their messages. */
  get errors(): { trialId: string; error: string }[] {
    return this.results.filter((r) => r.status === "ERROR").map((r) => ({ trialId: r.trialId, error: r.error ?? "" }));
  }

  /** The best trial by the last reported `metric` (default: the config's metric and mode). */
  getBestResult(metric = this.metric, mode = this.mode): TrialResult | undefined {
    if (!metric || !mode) throw new Error("getBestResult: give a metric and mode, or set them in the config");
    const best = bestTrial(this.summary.trials, metric, mode);
    return best ? this.toResult(best) : undefined;
  }

  /** A flat table: one row per trial with config/* columns and the last result's metrics. */
  rows(): Record<string, unknown>[] {
    return this.results.map((r) => {
      const { config: _c, ...metrics } = r.metrics ?? {};
      return { trial_id: r.trialId, status: r.status, ...flatten({ config: r.config }), ...metrics };
    });
  }

  private toResult(view: TrialView): TrialResult {
    const t = view as Trial;
    const ckpt = t.latestCheckpoint();
    return {
      trialId: t.id, status: t.status, config: t.config, metrics: t.lastResult,
      checkpoint: ckpt ? join(this.summary.expDir, ckpt.path) : undefined,
      path: join(this.summary.expDir, t.dirName), error: t.error,
    };
  }
}

export class Tuner {
  constructor(private readonly config: TuneConfig, private readonly options: TunerOptions = {}) {}

  /** Runs every trial to its end; rejects only for an invalid config or a runner failure. */
  async fit(): Promise<ResultGrid> {
    const configPath = join(resolve(this.options.baseDir ?? process.cwd()), "tune.config.ts");
    const prepared = createRun(await checkConfig(this.config, configPath, this.options), this.options);
    const { executor, capacity } = createExecutor(prepared.config, prepared.capacity, { configPath });
    const runner = new Runner({
      config: prepared.config, configPath, expDir: prepared.expDir, seed: prepared.seed, executor,
      capacity, callbacks: this.options.callbacks ?? [],
    });
    try {
      return new ResultGrid(await runner.run(), prepared.config.metric, prepared.config.mode);
    } finally {
      await executor.close(0);
    }
  }
}
