/**
 * The Slurm executor: one sbatch job per trial attempt, or one job array for the
 * trials with equal resources started together (slurm-submit.ts), one squeue call
 * per poll for all of them, scancel to stop. Which trials run is the runner's
 * choice; where and when on the cluster is Slurm's. Results, logs and
 * checkpoints are written straight into the experiment dir, which must be on
 * a filesystem shared with the compute nodes (docs/slurm.md); a job that
 * cannot see it is detected and its trial fails with that message.
 */
import type { Executor, ExecutorCapacity, ReattachOptions, RunningTrial, TrialEvents, TrialHandle, TrialLaunch, TrialState } from "./executor.ts";
import { execSlurmCli, type SlurmCli } from "./slurm-cli.ts";
import { isUnknownJobsError, jobPhase, parseSqueue, squeueArgv, type SqueueRow } from "./slurm-parse.ts";
import { SlurmSubmitter } from "./slurm-submit.ts";
import { isSlurmHandle, SlurmTrial, type SlurmJobSettings } from "./slurm-trial.ts";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SlurmExecutorSpec } from "../config.ts";

export interface SlurmExecutorOptions extends Partial<SlurmJobSettings> {
  /** Runs sbatch/squeue/scancel; default the real commands with `env` added. */
  cli?: SlurmCli;
  /** Environment for the Slurm commands (e.g. SLURM_CONF). */
  env?: Readonly<Record<string, string>>;
  /** Milliseconds between squeue polls (one call for all jobs). Default 1000. */
  pollMs?: number;
  /** Milliseconds between reads of the report files. Default 200. */
  reportPollMs?: number;
  now?: () => number;
  /** Where poll failures are told (the controller not answering). Default: stderr. */
  log?: (message: string) => void;
  /**
   * Trials with equal sbatch options that the runner starts together (one scheduling pass) go
   * as one `sbatch --array`. Default true; false: one job per trial.
   */
  arrays?: boolean;
}

/** What the runner may schedule at once: the cluster's queue does the real placing, so only `concurrency` bounds it. */
export const SLURM_CAPACITY: ExecutorCapacity = { cpus: 100_000, gpus: 1024 };

export class SlurmExecutor implements Executor {
  readonly kind = "slurm";
  private readonly trials = new Set<SlurmTrial>();
  private readonly cli: SlurmCli;
  private readonly settings: SlurmJobSettings;
  private readonly now: () => number;
  private readonly log: (m: string) => void;
  private readonly pollMs: number;
  private readonly reportPollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private lastPoll = 0;
  private polling = false;
  private pollFailures = 0;
  private readonly submitter: SlurmSubmitter;

  constructor(opts: SlurmExecutorOptions = {}) {
    this.cli = opts.cli ?? execSlurmCli({ ...(opts.env ? { env: opts.env } : {}) });
    this.settings = {
      ...opts, markerGraceMs: opts.markerGraceMs ?? 10_000, sharedDirTimeoutMs: opts.sharedDirTimeoutMs ?? 60_000,
    };
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((m) => process.stderr.write(`tunelab: ${m}\n`));
    this.pollMs = opts.pollMs ?? 1000;
    this.reportPollMs = opts.reportPollMs ?? 200;
    this.submitter = new SlurmSubmitter(this.cli, { arrays: opts.arrays ?? true, log: this.log });
  }

  /**
   * Submits one attempt, together with the other starts of this synchronous stretch (an array
   * when their options match); a refused submission arrives as onExit, never as an exception.
   */
  start(launch: TrialLaunch, events: TrialEvents): RunningTrial {
    const trial = this.track(new SlurmTrial(launch, events, this.cli, this.settings, this.now));
    this.submitter.add(trial);
    return trial;
  }

  /** sbatch calls so far, and how many of them submitted arrays. */
  get submissions(): { sbatch: number; arrays: number } {
    return { ...this.submitter.counts };
  }

  /** Watches a job a previous runner submitted; results after `reportsSeen` are delivered. */
  reattach(launch: TrialLaunch, handle: TrialHandle, events: TrialEvents, opts: ReattachOptions): RunningTrial | undefined {
    if (!isSlurmHandle(handle)) return undefined;
    return this.track(new SlurmTrial(launch, events, this.cli, this.settings, this.now, { handle, reportsSeen: opts.reportsSeen }));
  }

  capacity(): ExecutorCapacity {
    return SLURM_CAPACITY;
  }

  /** The state of many jobs from one squeue call. */
  async poll(handles: readonly TrialHandle[]): Promise<TrialState[]> {
    const slurm = handles.filter(isSlurmHandle);
    const rows = slurm.length ? await this.squeue(slurm.map((h) => h.jobId)) : new Map<string, SqueueRow>();
    return handles.map((h): TrialState => {
      if (!isSlurmHandle(h)) return { state: "unknown", reason: `not a Slurm job: ${JSON.stringify(h)}` };
      if (rows === undefined) return { state: "unknown", reason: "squeue did not answer" };
      const row = rows.get(h.jobId);
      if (row && jobPhase(row.state) !== "ended") return { state: "running" };
      const exit = join(h.jobDir, "exit");
      if (existsSync(exit)) return { state: "exited", code: Number(readFileSync(exit, "utf8").trim()), signal: null };
      return { state: "lost", reason: `Slurm job ${h.jobId} ended${row ? ` (${row.state})` : ""} without an exit marker` };
    });
  }

  /** Cancels every job (TERM, then cancel after graceMs); resolves when all have ended. */
  async close(graceMs: number): Promise<void> {
    await Promise.all([...this.trials].map((t) => t.stop(graceMs)));
    this.stopTimer();
  }

  /** Stops watching; the jobs keep running on the cluster for a later `reattach`. */
  async detach(): Promise<void> {
    for (const t of this.trials) t.detach();
    this.trials.clear();
    this.stopTimer();
  }

  /** How many attempts have not reported their exit. */
  get size(): number {
    return this.trials.size;
  }

  private track(trial: SlurmTrial): SlurmTrial {
    this.trials.add(trial);
    void trial.done.then(() => {
      this.trials.delete(trial);
      if (this.trials.size === 0) this.stopTimer();
    });
    this.timer ??= setInterval(() => void this.tick(), this.reportPollMs);
    return trial;
  }

  private stopTimer(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    for (const t of this.trials) t.readReports();
    const now = this.now();
    if (this.polling || now - this.lastPoll < this.pollMs) return;
    this.polling = true;
    this.lastPoll = now;
    try {
      const submitted = [...this.trials].filter((t) => t.jobId !== undefined && !t.ended);
      if (!submitted.length) return;
      const rows = await this.squeue(submitted.map((t) => t.jobId!));
      if (rows) for (const t of submitted) t.onPoll(rows.get(t.jobId!));
    } finally {
      this.polling = false;
    }
  }

  /** One squeue for all ids; undefined when the controller did not answer (try again next poll). */
  private async squeue(ids: readonly string[]): Promise<Map<string, SqueueRow> | undefined> {
    const r = await this.cli.run(squeueArgv(ids));
    if (r.code === 0) {
      this.pollFailures = 0;
      return parseSqueue(r.stdout);
    }
    if (r.code === 1 && isUnknownJobsError(r.stderr)) return new Map();
    // Only the first of a run of failures is told: a controller restart must not flood the log.
    if (this.pollFailures++ === 0) this.log(`squeue failed (${r.stderr.trim() || `exit code ${r.code}`}); the Slurm jobs keep running and are polled again`);
    return undefined;
  }
}

/** The executor for `executor: { kind: "slurm", ... }`; `sharedDir` is relative to the config file's folder. */
export function slurmExecutorFromSpec(spec: SlurmExecutorSpec, configDir: string, opts: SlurmExecutorOptions = {}): SlurmExecutor {
  // opts.workers: config.resources.workers; Slurm runs them itself (srun), so no DistributedExecutor around this one.
  const { partition, account, time, gresPerTrial, extraArgs, sharedDir, cpusPerTrial, arrays } = spec;
  return new SlurmExecutor({
    ...opts, ...(arrays !== undefined ? { arrays } : {}),
    ...(partition !== undefined ? { partition } : {}), ...(account !== undefined ? { account } : {}),
    ...(time !== undefined ? { time: String(time) } : {}), ...(gresPerTrial !== undefined ? { gresPerTrial } : {}),
    ...(extraArgs !== undefined ? { extraArgs } : {}), ...(cpusPerTrial !== undefined ? { cpusPerTrial } : {}),
    ...(sharedDir !== undefined ? { sharedDir: resolve(configDir, sharedDir) } : {}),
  });
}
