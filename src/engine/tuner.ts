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
import { CheckpointHosts, type CheckpointAccess } from "./cli/remote-checkpoints.ts";
import { readRemoteCheckpoint, type RemoteCheckpointRef } from "./store/checkpoints.ts";

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
  /**
   * Absolute path of the latest kept checkpoint. For a checkpoint kept on its ssh host
   * (`remoteCheckpoint` set) this dir is a placeholder until `fetchCheckpoint()` brings the files.
   */
  checkpoint: string | undefined;
  /** Where the latest checkpoint's files are when they stayed on the ssh host that wrote them. */
  remoteCheckpoint: RemoteCheckpointRef | undefined;
  /**
   * Makes `checkpoint` hold the files: fetches a remote checkpoint home (through the experiment's
   * executor config) and resolves with its local path; a local one resolves at once.
   */
  fetchCheckpoint(): Promise<string | undefined>;
  path: string;
  error: string | undefined;
}

export class ResultGrid {
  /**
   * `access` (the experiment's executor config and config file) is how remote checkpoints are
   * fetched; without it a result's fetchCheckpoint() fails for a remote one, naming it.
   */
  constructor(readonly summary: RunSummary, private readonly metric?: string, private readonly mode?: Mode, private readonly access?: CheckpointAccess) {}

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

  /**
   * Fetches the latest checkpoint of each of `results` (default: every trial) that stayed on its
   * ssh host, over one connection per host; resolves with the local paths, in order.
   */
  async fetchCheckpoints(results: readonly TrialResult[] = this.results): Promise<(string | undefined)[]> {
    const hosts = this.hosts();
    const out: (string | undefined)[] = [];
    for (const r of results) {
      if (r.checkpoint) await hosts.fetch(r.checkpoint);
      out.push(r.checkpoint);
    }
    return out;
  }

  private hosts(): CheckpointHosts {
    return new CheckpointHosts(this.access ?? { executor: undefined, configPath: join(this.summary.expDir, "experiment.json") });
  }

  private toResult(view: TrialView): TrialResult {
    const t = view as Trial;
    const ckpt = t.latestCheckpoint();
    const checkpoint = ckpt ? join(this.summary.expDir, ckpt.path) : undefined;
    return {
      trialId: t.id, status: t.status, config: t.config, metrics: t.lastResult, checkpoint,
      remoteCheckpoint: checkpoint ? remoteRef(checkpoint) : undefined,
      fetchCheckpoint: async () => {
        if (checkpoint) await this.hosts().fetch(checkpoint);
        return checkpoint;
      },
      path: join(this.summary.expDir, t.dirName), error: t.error,
    };
  }
}

/** A broken placeholder reads as local here; fetchCheckpoint() then says what is wrong with it. */
function remoteRef(dir: string): RemoteCheckpointRef | undefined {
  try {
    return readRemoteCheckpoint(dir);
  } catch {
    return undefined;
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
      const access = { executor: prepared.config.executor, configPath };
      return new ResultGrid(await runner.run(), prepared.config.metric, prepared.config.mode, access);
    } finally {
      await executor.close(0);
    }
  }
}
