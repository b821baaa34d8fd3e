/**
 * One trial process on this machine: started in its own process group so a
 * stop reaches everything it spawned, its stdout/stderr appended to the trial
 * dir's logs, its reports read from fd 3 and from tagged stdout lines.
 */
import { mkdirSync, existsSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { execa } from "execa";
import { ReportParser, TaggedStdoutSplitter, type ReportOutcome } from "../trainables/report-parser.ts";
import { newReportTag, REPORT_FD } from "../trainables/launch.ts";
import type { RunningTrial, TrialEvents, TrialExit, TrialLaunch } from "./executor.ts";
import { endTrialLog, openTrialLog } from "./trial-logs.ts";
import { OutputTail } from "./output-tail.ts";

export interface LocalTrialOptions {
  /** GPUs on this machine: when > 0, a trial given none gets CUDA_VISIBLE_DEVICES="" (as Ray does). */
  machineGpus: number;
  /**
   * After the process exited, how long to wait for its pipes to close. Only a
   * process that left the group (setsid) can hold them longer; then we stop reading.
   */
  drainTimeoutMs: number;
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A user-facing reason why `argv[0]` could not be started. */
export function spawnFailureMessage(program: string, cwd: string, code: string | undefined, detail: string): string {
  const start = `cannot start \`${program}\``;
  if (!existsSync(cwd)) return `${start}: the working directory ${cwd} does not exist (trainable.cwd is relative to the config file)`;
  if (code === "ENOENT") return `${start}: not found (cwd ${cwd}); is it installed and on PATH, or is the relative path right?`;
  if (code === "EACCES") return `${start}: permission denied (cwd ${cwd}); is the file executable (chmod +x)?`;
  return `${start} (cwd ${cwd}): ${detail}`;
}

/** The environment a local trial runs with, over the runner's own. */
export function trialEnv(launch: TrialLaunch, reportTag: string, machineGpus: number): Record<string, string> {
  const env: Record<string, string> = { ...launch.env, TUNELAB_REPORT_FD: String(REPORT_FD), TUNELAB_REPORT_TAG: reportTag };
  if (launch.gpuIds.length > 0) env.CUDA_VISIBLE_DEVICES = launch.gpuIds.join(",");
  else if (machineGpus > 0) env.CUDA_VISIBLE_DEVICES = "";
  return env;
}


/** Copies a pipe into a log with backpressure, so a slow disk slows the trial instead of filling memory. */
function writeWithBackpressure(log: WriteStream, src: Readable, chunk: Buffer): void {
  if (log.writable && !log.write(chunk) && !src.isPaused()) {
    src.pause();
    log.once("drain", () => src.resume());
  }
}

/** Resolves when a stream has ended, closed or failed. */
function streamDone(stream: Readable | null | undefined): Promise<void> {
  if (!stream) return Promise.resolve();
  return finished(stream, { writable: false }).then(
    () => undefined,
    () => undefined,
  );
}

export class LocalTrial implements RunningTrial {
  pid: number | undefined;
  /** Resolves right after onExit was called. */
  readonly done: Promise<void>;
  private groupAlive = false;
  private stopping: Promise<void> | undefined;
  private readonly tail = new OutputTail();

  constructor(
    private readonly launch: TrialLaunch,
    private readonly events: TrialEvents,
    private readonly opts: LocalTrialOptions,
  ) {
    this.done = this.run();
  }

  /** SIGTERM the group, SIGKILL it after `graceMs`; resolves once onExit has been called. Idempotent. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      this.signalGroup("SIGTERM");
      const timer = setTimeout(() => this.signalGroup("SIGKILL"), Math.max(0, graceMs));
      try {
        await this.done;
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.stopping;
  }

  /** SIGKILL the whole group now, synchronously (for the runner's exit hook). */
  killSync(): void {
    this.signalGroup("SIGKILL");
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (!this.groupAlive || this.pid === undefined) return;
    try {
      process.kill(-this.pid, signal);
    } catch (err) {
      if (errorCode(err) === "ESRCH") this.groupAlive = false;
    }
  }

  private deliver(outcomes: readonly ReportOutcome[]): void {
    for (const o of outcomes) {
      if (o.kind === "report") this.events.onReport(o.message);
      else this.events.onProtocolError(o.message);
    }
  }

  private async run(): Promise<void> {
    const { launch } = this;
    const program = launch.argv[0];
    if (program === undefined || program === "") {
      return this.fail("cannot start the trial: its command is empty (trainable.command needs at least a program)");
    }
    let stdoutLog: WriteStream, stderrLog: WriteStream;
    try {
      mkdirSync(launch.trialDir, { recursive: true });
      stdoutLog = openTrialLog(join(launch.trialDir, "stdout.log"), launch.attempt);
      stderrLog = openTrialLog(join(launch.trialDir, "stderr.log"), launch.attempt);
    } catch (err) {
      return this.fail(`cannot start \`${program}\`: cannot create the trial dir ${launch.trialDir}: ${String(err)}`);
    }
    const tag = launch.env.TUNELAB_REPORT_TAG || newReportTag();
    const exitInfo = await this.spawn(program, tag, stdoutLog, stderrLog);
    await Promise.all([endTrialLog(stdoutLog), endTrialLog(stderrLog)]);
    this.events.onExit({ ...exitInfo, stderrTail: this.tail.text() });
  }

  /** Runs the process to its end and returns how it ended; every report is delivered before this resolves. */
  private async spawn(program: string, tag: string, stdoutLog: WriteStream, stderrLog: WriteStream): Promise<Omit<TrialExit, "stderrTail">> {
    const { launch } = this;
    let sub: ReturnType<typeof startProcess>;
    try {
      sub = startProcess(program, launch.argv.slice(1), launch.cwd, trialEnv(launch, tag, this.opts.machineGpus));
    } catch (err) {
      return this.spawnFailed(program, stderrLog, errorCode(err), String(err));
    }
    this.pid = sub.pid;
    if (sub.pid === undefined) {
      const result = await sub;
      return this.spawnFailed(program, stderrLog, result.code, result.originalMessage ?? result.shortMessage ?? "");
    }
    // Listen for the exit before anything else can await, so it is never missed.
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      sub.once("exit", (code, signal) => resolve({ code, signal })),
    );
    void sub.catch(() => undefined);
    this.groupAlive = true;

    const reportPipe = sub.stdio[REPORT_FD] as Readable | undefined;
    const parser = new ReportParser();
    const splitter = new TaggedStdoutSplitter(tag);
    reportPipe?.on("data", (chunk: Buffer) => this.deliver(parser.push(chunk)));
    sub.stdout.on("data", (chunk: Buffer) => {
      const { passthrough, outcomes } = splitter.push(chunk);
      for (const piece of passthrough) writeWithBackpressure(stdoutLog, sub.stdout, piece);
      this.deliver(outcomes);
    });
    sub.stderr.on("data", (chunk: Buffer) => {
      this.tail.push(chunk);
      writeWithBackpressure(stderrLog, sub.stderr, chunk);
    });
    const pipes = [reportPipe, sub.stdout, sub.stderr];
    const drained = Promise.all(pipes.map(streamDone));

    const exit = await exited;
    // Whatever the trial left behind in its group dies with it (it may hold GPU memory or our pipes).
    this.signalGroup("SIGKILL");
    this.groupAlive = false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      drained.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.opts.drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      for (const p of pipes) p?.destroy();
      this.tail.note(`tunelab: stopped reading the trial's output ${this.opts.drainTimeoutMs} ms after it exited: a process it started outside its process group still holds the pipes`);
    }
    this.deliver(parser.end());
    const rest = splitter.end();
    for (const piece of rest.passthrough) stdoutLog.write(piece);
    this.deliver(rest.outcomes);
    return exit;
  }

  private spawnFailed(program: string, stderrLog: WriteStream, code: string | undefined, detail: string): Omit<TrialExit, "stderrTail"> {
    const message = spawnFailureMessage(program, this.launch.cwd, code, detail);
    this.tail.note(message);
    stderrLog.write(`${message}\n`);
    return { code: null, signal: null };
  }

  private async fail(message: string): Promise<void> {
    // Let start() return first, so the caller holds the RunningTrial before onExit arrives.
    await Promise.resolve();
    this.tail.note(message);
    this.events.onExit({ code: null, signal: null, stderrTail: this.tail.text() });
  }
}

function startProcess(program: string, args: readonly string[], cwd: string, env: Record<string, string>) {
  return execa(program, args, {
    cwd,
    env,
    extendEnv: true,
    // Its own process group: stop() signals -pid and reaches every descendant.
    detached: true,
    stdio: ["ignore", "pipe", "pipe", "pipe"],
    buffer: false,
    reject: false,
    encoding: "buffer",
    // We kill groups ourselves (killAllSync); execa's per-child cleanup would miss grandchildren.
    cleanup: false,
  });
}

