/**
 * One trial attempt as a Slurm batch job (or one task of a job array). The executor
 * submits it (slurm-submit.ts) and drives it: `readReports`
 * on a short tick (a file read on the shared filesystem), `onPoll` with its
 * row of the one batched squeue. The job's files live in one directory on the
 * shared filesystem (slurm-script.ts); the exit code comes from a marker file
 * because a cluster need not keep accounting.
 */
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, isAbsolute } from "node:path";
import type { RunningTrial, TrialEvents, TrialExit, TrialHandle, TrialLaunch } from "./executor.ts";
import type { SlurmCli } from "./slurm-cli.ts";
import { externalEndReason, jobPhase, parseRuns, scancelArgv, type SqueueRow } from "./slurm-parse.ts";
import { RequeueAwareReports, type TailOutcome } from "./slurm-reports.ts";
import { batchScript, gresFor, jobFiles, type JobFiles, type SbatchOptions } from "./slurm-script.ts";
import { OutputTail } from "./output-tail.ts";
import { readMarker, stderrTail, unfinishedJobs } from "./slurm-files.ts";

export interface SlurmJobSettings {
  partition?: string;
  account?: string;
  time?: string;
  gresPerTrial?: string;
  extraArgs?: readonly string[];
  /** Job files go to `<sharedDir>/<trialId>/attempt-<n>`; default `<trialDir>/.slurm/attempt-<n>`. */
  sharedDir?: string;
  /** --cpus-per-task; default the trial's `resources.cpu`. */
  cpusPerTrial?: number;
  /** config.resources.workers, for launches that do not carry it: > 1 makes one job of that many srun tasks. */
  workers?: number;
  /** An ended job's exit marker may take this long to show on a shared filesystem. */
  markerGraceMs: number;
  /** A RUNNING job whose first `runs` line is not visible after this long: not a shared filesystem. */
  sharedDirTimeoutMs: number;
}

export interface SlurmHandle extends TrialHandle {
  kind: "slurm";
  jobId: string;
  jobDir: string;
}

export function isSlurmHandle(h: TrialHandle): h is SlurmHandle {
  return h.kind === "slurm" && typeof h.jobId === "string" && typeof h.jobDir === "string";
}

/** Where one attempt's job files go. */
export function jobDirFor(launch: TrialLaunch, sharedDir: string | undefined): string {
  const attempt = `attempt-${launch.attempt ?? 1}`;
  return sharedDir ? join(sharedDir, launch.trialId, attempt) : join(launch.trialDir, ".slurm", attempt);
}

const workersOf = (launch: TrialLaunch, fallback: number | undefined): number =>
  Math.max(1, Math.floor((launch.resources as { workers?: number }).workers ?? fallback ?? 1));

export class SlurmTrial implements RunningTrial {
  readonly pid = undefined;
  handle: SlurmHandle | undefined;
  readonly started: Promise<SlurmHandle | undefined>;
  /** Resolves right after onExit. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private resolveStarted!: (handle: SlurmHandle | undefined) => void;
  private readonly files: JobFiles;
  private readonly reports: RequeueAwareReports;
  private finished = false;
  private stopRequested = false;
  private killTimer: NodeJS.Timeout | undefined;
  private phase: ReturnType<typeof jobPhase> | "unknown" = "unknown";
  private runningSince: number | undefined;
  private endedSince: number | undefined;
  private lastState = "";
  private reading = false;

  constructor(
    private readonly launch: TrialLaunch,
    private readonly events: TrialEvents,
    private readonly cli: SlurmCli,
    private readonly settings: SlurmJobSettings,
    private readonly now: () => number,
    resume?: { handle: SlurmHandle; reportsSeen: number },
  ) {
    this.done = new Promise((r) => (this.resolveDone = r));
    const startIteration = Number(launch.env.TUNELAB_ITERATION ?? 0) || 0;
    this.reports = new RequeueAwareReports(startIteration, resume?.reportsSeen ?? 0);
    this.started = new Promise((r) => (this.resolveStarted = r));
    if (resume) {
      this.handle = resume.handle;
      this.files = jobFiles(resume.handle.jobDir);
      this.resolveStarted(resume.handle);
    } else {
      this.files = jobFiles(jobDirFor(launch, settings.sharedDir));
    }
  }

  get jobId(): string | undefined {
    return this.handle?.jobId;
  }

  get ended(): boolean {
    return this.finished;
  }

  /** scancel: TERM to the program (the batch shell outlives it), then cancel the job after `graceMs`. */
  stop(graceMs: number): Promise<void> {
    if (this.finished) return this.done;
    if (!this.stopRequested) {
      this.stopRequested = true;
      if (this.handle) void this.signalStop(graceMs);
      // Not submitted yet: submitted() cancels the job as soon as it has an id.
    }
    return this.done;
  }

  private async signalStop(graceMs: number): Promise<void> {
    const id = this.handle!.jobId;
    if (this.phase !== "running") {
      await this.cli.run(scancelArgv([id]));
      return;
    }
    await this.cli.run(scancelArgv([id], "TERM"));
    this.killTimer = setTimeout(() => void this.cli.run(scancelArgv([id])), Math.max(0, graceMs));
  }

  /**
   * Writes the job files; returns the sbatch options of this attempt, or undefined after
   * failing the trial with the reason. The executor submits (slurm-submit.ts), alone or in an array.
   */
  prepare(): SbatchOptions | undefined {
    const { launch, settings, files } = this;
    if (this.finished) return undefined; // detached before it was submitted: nothing to run
    const program = launch.argv[0];
    if (!program) return this.failToStart("cannot start the trial: its command is empty (trainable.command needs at least a program)");
    const workers = workersOf(launch, settings.workers);
    const gres = gresFor(launch.resources.gpu, settings.gresPerTrial);
    const orphans = unfinishedJobs(dirname(files.dir));
    // A job of an earlier attempt that never wrote its exit marker, while the runner starts this
    // one: a runner died between sbatch and journaling the handle, and nobody watches that job.
    if (orphans.length) void this.cli.run(scancelArgv(orphans));
    try {
      mkdirSync(launch.trialDir, { recursive: true });
      rmSync(files.dir, { recursive: true, force: true });
      mkdirSync(files.dir, { recursive: true });
      writeFileSync(files.probe, `${launch.trialId}\n`);
      writeFileSync(files.script, batchScript({ trialId: launch.trialId, argv: launch.argv, cwd: launch.cwd, env: launch.env, trialDir: launch.trialDir, files, workers, gpus: gres !== undefined }), { mode: 0o700 });
      chmodSync(files.script, 0o700); // it may hold the trial's environment
    } catch (err) {
      return this.failToStart(`cannot write the Slurm job files of trial ${launch.trialId} in ${files.dir}: ${String(err)}`);
    }
    return {
      trialId: launch.trialId, script: files.script,
      stdoutPath: join(launch.trialDir, "stdout.log"), stderrPath: join(launch.trialDir, "stderr.log"),
      cpusPerTask: settings.cpusPerTrial ?? launch.resources.cpu, workers,
      ...pick(settings, ["partition", "account", "time", "extraArgs"]),
      ...opt("gres", gres),
    };
  }

  /** The job's directory (the array dir of an array this trial leads goes inside it). */
  get jobDir(): string {
    return this.files.dir;
  }

  /** sbatch accepted the job: `jobId` is `123`, or `123_4` for task 4 of an array. */
  submitted(jobId: string): void {
    this.handle = { kind: "slurm", jobId, jobDir: this.files.dir };
    try {
      // Written at once, long before the journal has the handle: a later attempt can find the job.
      writeFileSync(join(this.files.dir, "jobid"), `${jobId}\n`);
    } catch {
      // The job's own files are there; without this one only the orphan check is weaker.
    }
    if (this.finished) {
      // Detached while sbatch ran: no runner will ever know this job, so it must not run.
      void this.cli.run(scancelArgv([jobId]));
      this.resolveStarted(undefined);
      return;
    }
    this.phase = "waiting";
    this.resolveStarted(this.handle);
    if (this.stopRequested) void this.signalStop(0);
  }

  /** sbatch refused the job (`message` says what it answered and the command). */
  refused(message: string): void {
    this.failToStart(message);
  }

  private failToStart(message: string): undefined {
    this.finish({ code: null, signal: null, stderrTail: message });
    this.resolveStarted(undefined);
    return undefined;
  }

  /** Reads what the job appended to its runs and report files since the last call. */
  readReports(): void {
    if (this.finished || !this.handle || this.reading) return;
    this.reading = true;
    try {
      this.drain();
    } finally {
      this.reading = false;
    }
  }

  private drain(): void {
    // The report file's size first, then the runs file, then the bytes up to that size: a run's
    // runs line is written before any of its bytes, so every boundary below `size` is known.
    let fd: number;
    try {
      fd = openSync(this.files.reports, "r");
    } catch {
      return; // not started yet
    }
    try {
      const size = fstatSync(fd).size;
      let runsText: string;
      try {
        runsText = readFileSync(this.files.runs, "utf8");
      } catch {
        return;
      }
      this.deliver(this.reports.addRuns(parseRuns(runsText)));
      const buf = Buffer.alloc(64 * 1024);
      while (this.reports.offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - this.reports.offset), this.reports.offset);
        if (n <= 0) break;
        this.deliver(this.reports.push(buf.subarray(0, n)));
      }
    } finally {
      closeSync(fd);
    }
  }

  private deliver(outcomes: readonly TailOutcome[]): void {
    for (const o of outcomes) {
      // A report proves the program runs, even before the next squeue poll says so: a stop
      // must then TERM the program, not cancel a job it takes for pending.
      if (o.kind === "report" && (this.phase === "waiting" || this.phase === "unknown")) this.phase = "running";
      if (o.kind === "report") this.events.onReport(o.message);
      else if (o.kind === "error") this.events.onProtocolError(o.message);
      else this.dropSkippedCheckpoint(o.message.checkpoint);
    }
  }

  /** A recomputed result's checkpoint is not the runner's: remove it if it lies in the trial dir. */
  private dropSkippedCheckpoint(path: string | undefined): void {
    if (!path) return;
    const rel = relative(this.launch.trialDir, path);
    if (rel && !rel.startsWith("..") && !isAbsolute(rel) && !/^checkpoint_\d+$/.test(rel)) rmSync(path, { recursive: true, force: true });
  }

  /** This job's row of the batched squeue (undefined: purged, i.e. long over). */
  onPoll(row: SqueueRow | undefined): void {
    if (this.finished || !this.handle) return;
    const phase = row ? jobPhase(row.state) : "ended";
    if (row) this.lastState = row.state;
    const now = this.now();
    if (phase === "running" && this.phase !== "running") this.runningSince = now;
    this.phase = phase;
    if (phase === "running" && this.runningSince !== undefined && !existsSync(this.files.runs) &&
        now - this.runningSince > this.settings.sharedDirTimeoutMs) {
      this.notShared(now - this.runningSince);
      return;
    }
    if (phase !== "ended") {
      this.endedSince = undefined;
      return;
    }
    this.endedSince ??= now;
    this.readReports();
    const marker = readMarker(this.files.exit);
    if (marker === undefined && now - this.endedSince < this.settings.markerGraceMs) return;
    this.deliver(this.reports.end());
    this.finish(this.exitOf(marker));
  }

  private exitOf(marker: number | undefined): TrialExit {
    const id = this.handle!.jobId;
    const tail = stderrTail(join(this.launch.trialDir, "stderr.log"));
    const external = this.stopRequested ? undefined : externalEndReason(this.lastState, id);
    if (external) {
      tail.note(`tunelab: ${external}; the trial will be retried if maxFailures allows`);
      return { code: null, signal: "SIGTERM", stderrTail: tail.text(), retryable: true };
    }
    if (marker !== undefined) return { code: marker, signal: null, stderrTail: tail.text() };
    const state = this.lastState ? ` (last state ${this.lastState})` : "";
    if (!existsSync(this.files.runs)) {
      tail.note(`tunelab: Slurm job ${id}${state} ended before trial ${this.launch.trialId} started; its output, if any, is in ${this.launch.trialDir}/stderr.log — check that the directory exists on the compute node (it must be on a shared filesystem)`);
    } else {
      tail.note(`tunelab: Slurm job ${id}${state} ended but its exit marker ${this.files.exit} is not visible here; is ${this.files.dir} on a filesystem shared with the compute nodes?`);
    }
    // Not retryable: a filesystem that is not shared would fail every retry the same way.
    return { code: null, signal: null, stderrTail: tail.text() };
  }

  private notShared(ms: number): void {
    const id = this.handle!.jobId;
    void this.cli.run(scancelArgv([id]));
    const tail = new OutputTail();
    tail.note(
      `tunelab: Slurm job ${id} of trial ${this.launch.trialId} has been RUNNING for ${Math.round(ms / 1000)} s, but ${this.files.runs}, ` +
      `which the job writes when it starts, is not visible on this machine: ${this.files.dir} must be on a filesystem shared with the compute nodes ` +
      `(put the experiment's storage there, or set executor.sharedDir); the job was cancelled`,
    );
    this.finish({ code: null, signal: null, stderrTail: tail.text() });
  }

  private finish(exit: TrialExit): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.killTimer);
    this.events.onExit(exit);
    this.resolveDone();
  }

  /** Stops watching without cancelling the job (the runner exits to be resumed). */
  detach(): void {
    this.finished = true;
    clearTimeout(this.killTimer);
    this.resolveDone();
  }
}

function pick<T extends object, K extends keyof T>(o: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
