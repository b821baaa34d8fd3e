/**
 * Submits the Slurm executor's trials. Starts are coalesced: every `start` of one synchronous
 * stretch of the runner (one scheduling pass, or the trials that one poll tick let go) is
 * submitted together on the next microtask, so the runner needs no batch API. Trials with equal
 * sbatch options go as one job array (`--array=0-K`, slurm-array.ts) when arrays are on; a
 * cluster that refuses arrays gets one job per trial, from then on.
 */
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { arrayFiles, arrayLinks, arrayScript, arraySbatchOptions, arrayTaskId, groupSubmissions, MAX_ARRAY_TASKS } from "./slurm-array.ts";
import type { SlurmCli } from "./slurm-cli.ts";
import { parseSbatchJobId } from "./slurm-parse.ts";
import { sbatchArgv, type SbatchOptions } from "./slurm-script.ts";
import { join } from "node:path";

/** What the submitter needs of a trial attempt (SlurmTrial). */
export interface Submittable {
  readonly jobDir: string;
  prepare(): SbatchOptions | undefined;
  submitted(jobId: string): void;
  refused(message: string): void;
}

export interface SubmitterOptions {
  /** Trials with equal options started together go as one job array. Default true. */
  arrays?: boolean;
  /** The most tasks in one array. Default MAX_ARRAY_TASKS. */
  maxArrayTasks?: number;
  log: (message: string) => void;
}

interface Prepared {
  trial: Submittable;
  options: SbatchOptions;
}

export class SlurmSubmitter {
  private queue: Submittable[] = [];
  private arrays: boolean;
  /** sbatch calls made, and how many of them were arrays (for tests and the bench). */
  readonly counts = { sbatch: 0, arrays: 0 };

  constructor(private readonly cli: SlurmCli, private readonly opts: SubmitterOptions) {
    this.arrays = opts.arrays ?? true;
  }

  /** Queues a trial; the queue goes out once the current synchronous work is done. */
  add(trial: Submittable): void {
    this.queue.push(trial);
    if (this.queue.length === 1) queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const prepared: Prepared[] = [];
    for (const trial of batch) {
      const options = trial.prepare();
      if (options) prepared.push({ trial, options });
    }
    const groups = this.arrays ? groupSubmissions(prepared, (p) => p.options, this.opts.maxArrayTasks ?? MAX_ARRAY_TASKS) : prepared.map((p) => [p]);
    await Promise.all(groups.map((g) => (g.length === 1 ? this.single(g[0]!) : this.array(g))));
  }

  /** Resolves with whether sbatch took the job. */
  private async single({ trial, options }: Prepared): Promise<boolean> {
    const argv = sbatchArgv(options);
    const r = await this.sbatch(argv);
    if ("jobId" in r) trial.submitted(r.jobId);
    else trial.refused(`sbatch refused trial ${options.trialId}: ${r.error}\n  command: ${argv.join(" ")}`);
    return "jobId" in r;
  }

  private async array(group: readonly Prepared[]): Promise<void> {
    const files = arrayFiles(join(group[0]!.trial.jobDir, "array"));
    try {
      mkdirSync(files.dir, { recursive: true });
      writeFileSync(files.script, arrayScript(files.dir), { mode: 0o755 });
      const tasks = group.map((p) => ({ jobDir: p.trial.jobDir, stdoutPath: p.options.stdoutPath, stderrPath: p.options.stderrPath }));
      for (const [link, target] of arrayLinks(files.dir, tasks)) symlinkSync(target, link);
    } catch (err) {
      this.opts.log(`cannot write the Slurm job array files in ${files.dir} (${String(err)}); submitting one job per trial`);
      await Promise.all(group.map((p) => this.single(p)));
      return;
    }
    const argv = sbatchArgv(arraySbatchOptions(group.map((p) => p.options), files));
    const r = await this.sbatch(argv);
    if ("jobId" in r) {
      this.counts.arrays += 1;
      // Task i is group[i]: the dispatcher runs the job dir linked as <array dir>/i.
      group.forEach((p, i) => p.trial.submitted(arrayTaskId(r.jobId, i)));
      return;
    }
    // Some clusters forbid arrays (MaxArraySize=0, a submit policy): the trials still run, one job
    // each, and arrays stay off once single jobs went through where the array did not.
    const ok = await Promise.all(group.map((p) => this.single(p)));
    if (ok.some(Boolean)) {
      this.arrays = false;
      this.opts.log(`sbatch refused a job array of ${group.length} trials (${r.error}) but took them one by one; one job per trial from now on\n  command: ${argv.join(" ")}`);
    }
  }

  private async sbatch(argv: readonly string[]): Promise<{ jobId: string } | { error: string }> {
    this.counts.sbatch += 1;
    const r = await this.cli.run(argv);
    try {
      if (r.code !== 0) throw new Error(r.stderr.trim() || `exit code ${r.code}`);
      return { jobId: parseSbatchJobId(r.stdout) };
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
}
