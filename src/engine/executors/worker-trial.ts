/**
 * One trial run by a warm Python worker: the same contract as a LocalTrial
 * (logs in the trial dir, reports on the protocol, onExit exactly once, stop
 * = SIGTERM then SIGKILL), but the process is a fork of the worker, so its
 * pid is known only once the worker says "started".
 */
import { mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { newReportTag } from "../trainables/launch.ts";
import { ReportParser, TaggedStdoutSplitter, type ReportOutcome } from "../trainables/report-parser.ts";
import type { RunningTrial, TrialEvents, TrialExit, TrialLaunch } from "./executor.ts";
import { trialEnv } from "./local-trial.ts";
import { endTrialLog, openTrialLog } from "./trial-logs.ts";
import { OutputTail } from "./output-tail.ts";
import type { PythonWorker, WorkerExit, WorkerSink } from "./python-worker.ts";
import type { WorkerFrame } from "./worker-frames.ts";

export interface WorkerTrialOptions {
  machineGpus: number;
  drainTimeoutMs: number;
  /** A fresh worker, for when the warm one this trial was given died before starting it. */
  replaceWorker: () => PythonWorker;
  /** Called with the trial's worker right before onExit, so a trial started from onExit can reuse it. */
  release: (worker: PythonWorker) => void;
}



export class WorkerTrial implements RunningTrial, WorkerSink {
  /** Resolves right after onExit was called. */
  readonly done: Promise<void>;
  /** The forked process running this trial (its process group id), once started. */
  trialPid: number | undefined;
  private resolveDone!: () => void;
  private finished = false;
  private stopRequested = false;
  private stopping: Promise<void> | undefined;
  private readonly tail = new OutputTail();
  private readonly parser = new ReportParser();
  private readonly splitter: TaggedStdoutSplitter;
  private readonly tag: string;
  private stdoutLog: WriteStream | undefined;
  private stderrLog: WriteStream | undefined;
  private worker: PythonWorker;
  private replaced = false;

  constructor(
    private readonly launch: TrialLaunch,
    private readonly events: TrialEvents,
    worker: PythonWorker,
    private readonly opts: WorkerTrialOptions,
  ) {
    this.worker = worker;
    this.done = new Promise<void>((resolve) => (this.resolveDone = resolve));
    this.tag = launch.env.TUNELAB_REPORT_TAG || newReportTag();
    this.splitter = new TaggedStdoutSplitter(this.tag);
    try {
      mkdirSync(launch.trialDir, { recursive: true });
      this.stdoutLog = openTrialLog(join(launch.trialDir, "stdout.log"), launch.attempt);
      this.stderrLog = openTrialLog(join(launch.trialDir, "stderr.log"), launch.attempt);
    } catch (err) {
      void this.failSoon(`cannot start trial ${launch.trialId}: cannot create the trial dir ${launch.trialDir}: ${String(err)}`);
      return;
    }
    this.send();
  }

  private send(): void {
    const env = trialEnv(this.launch, this.tag, this.opts.machineGpus);
    this.worker.run({ env, cwd: this.launch.cwd, drainTimeoutMs: this.opts.drainTimeoutMs }, this);
  }

  /** The worker's pid: the same for every trial this worker runs (docs/workers.md). */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  /** SIGTERM the trial's group, SIGKILL it after `graceMs`; resolves once onExit has been called. Idempotent. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      this.stopRequested = true;
      // Not forked yet (the worker is still importing): the SIGTERM goes out on "started".
      if (this.trialPid !== undefined) this.signalTrial("SIGTERM");
      const timer = setTimeout(() => this.forceKill(), Math.max(0, graceMs));
      try {
        await this.done;
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.stopping;
  }

  /** SIGKILL the trial's group, and the worker's if the trial has not started, now (for the runner's exit hook). */
  killSync(): void {
    this.signalTrial("SIGKILL");
    this.worker.signal("SIGKILL");
  }

  frame(frame: WorkerFrame): void {
    if (this.finished) return;
    if (frame.kind === "stdout") this.onStdout(frame.bytes);
    else if (frame.kind === "stderr") this.onStderr(frame.bytes);
    else if (frame.kind === "report") this.deliver(this.parser.push(frame.bytes));
    else if (frame.kind === "event") {
      const event = frame.event;
      if ("started" in event) {
        this.trialPid = event.started;
        if (this.stopRequested) this.signalTrial("SIGTERM");
      } else if ("note" in event) this.tail.note(event.note);
      else if ("exit" in event) void this.finish(event.exit);
    }
  }

  output(stream: "stdout" | "stderr", chunk: Buffer): void {
    if (this.finished) return;
    if (stream === "stdout") this.onStdout(chunk);
    else this.onStderr(chunk);
  }

  workerExit(exit: WorkerExit, note: string | undefined): void {
    // A warm worker that died idle (OOM killer, a stray kill) before forking this trial: the trial never ran.
    const warmAndUnstarted = this.trialPid === undefined && this.worker.trials > 1 && !this.stopRequested;
    if (warmAndUnstarted && !this.replaced && !this.finished) {
      this.replaced = true;
      this.worker = this.opts.replaceWorker();
      this.send();
      return;
    }
    // The fork dies with its worker (PR_SET_PDEATHSIG on Linux); its group may not.
    this.signalTrial("SIGKILL");
    if (note) this.tail.note(note);
    void this.finish(exit);
  }

  private forceKill(): void {
    if (this.trialPid !== undefined) {
      this.signalTrial("SIGKILL");
      // A worker that does not report the end of a killed fork is stuck itself: replace it.
      const timer = setTimeout(() => this.worker.signal("SIGKILL"), this.opts.drainTimeoutMs + 1000);
      void this.done.finally(() => clearTimeout(timer));
    } else {
      // Still importing after the grace period: the worker goes, and the next trial gets a fresh one.
      this.worker.signal("SIGKILL");
    }
  }

  private signalTrial(signal: NodeJS.Signals): void {
    if (this.trialPid === undefined || this.finished) return;
    try {
      process.kill(-this.trialPid, signal);
    } catch {
      // Already gone.
    }
  }

  private onStdout(chunk: Buffer): void {
    const { passthrough, outcomes } = this.splitter.push(chunk);
    for (const piece of passthrough) this.write(this.stdoutLog, piece);
    this.deliver(outcomes);
  }

  private onStderr(chunk: Buffer): void {
    this.tail.push(chunk);
    this.write(this.stderrLog, chunk);
  }

  /** Copies into a log; a slow disk pauses the worker's channel, and so the trial, instead of filling memory. */
  private write(log: WriteStream | undefined, chunk: Buffer): void {
    if (!log?.writable || log.write(chunk)) return;
    this.worker.pause();
    log.once("drain", () => this.worker.resume());
  }

  private deliver(outcomes: readonly ReportOutcome[]): void {
    for (const o of outcomes) {
      if (o.kind === "report") this.events.onReport(o.message);
      else this.events.onProtocolError(o.message);
    }
  }

  private async finish(exit: WorkerExit): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.deliver(this.parser.end());
    const rest = this.splitter.end();
    for (const piece of rest.passthrough) this.stdoutLog?.write(piece);
    this.deliver(rest.outcomes);
    this.worker.resume();
    await Promise.all([endTrialLog(this.stdoutLog), endTrialLog(this.stderrLog)]);
    const result: TrialExit = { code: exit.code, signal: exit.signal, stderrTail: this.tail.text() };
    this.opts.release(this.worker);
    this.events.onExit(result);
    this.resolveDone();
  }

  private async failSoon(message: string): Promise<void> {
    // Let start() return first, so the caller holds the RunningTrial before onExit arrives.
    await Promise.resolve();
    this.tail.note(message);
    await this.finish({ code: null, signal: null });
  }
}
