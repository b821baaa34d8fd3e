/**
 * One warm Python worker process (`python -m tunelab.worker module:attr`, see
 * python/tunelab/worker.py and docs/workers.md): started in its own process
 * group with commands on stdin and frames on fd 3. It imports the trainable
 * once and forks one process per trial; this class hands each trial's frames
 * to whoever holds the worker (a WorkerTrial) and says when the worker dies.
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { spawnFailureMessage } from "./local-trial.ts";
import { FrameDecoder, type WorkerFrame } from "./worker-frames.ts";

/** What makes two Python trials able to share a worker. */
export interface WorkerSpec {
  interpreter: string;
  /** `module:attr`. */
  target: string;
  cwd: string;
  /** Added over the runner's environment; holds no per-trial variable (TUNELAB_*, CUDA_VISIBLE_DEVICES). */
  env: Readonly<Record<string, string>>;
}

/** What one trial sends the worker: its environment (protocol variables included) and where it runs. */
export interface RunCommand {
  env: Readonly<Record<string, string>>;
  cwd: string;
  drainTimeoutMs: number;
}

export interface WorkerExit {
  code: number | null;
  signal: string | null;
}

/** The holder of a worker: the trial it is running (or importing for). */
export interface WorkerSink {
  /** A frame of the running trial; the `exit` event is the last one, after which the worker is idle. */
  frame(frame: WorkerFrame): void;
  /** The worker's own output (what the module prints at import, its import error). */
  output(stream: "stdout" | "stderr", chunk: Buffer): void;
  /** The worker died while holding this sink; `note` says why when the trial's own output cannot. */
  workerExit(exit: WorkerExit, note: string | undefined): void;
}

export type WorkerState = "busy" | "idle" | "dead";

function streamDone(stream: Readable | null | undefined): Promise<void> {
  if (!stream) return Promise.resolve();
  return finished(stream, { writable: false }).then(
    () => undefined,
    () => undefined,
  );
}

export class PythonWorker {
  readonly pid: number | undefined;
  /** Resolves once the process is gone and its output was handed on. */
  readonly exited: Promise<WorkerExit>;
  state: WorkerState = "idle";
  /** Trials this worker has been given, the current one included. */
  trials = 0;
  /** The module was imported: later trials start warm. */
  ready = false;
  private readonly child: ChildProcess;
  private readonly decoder = new FrameDecoder();
  private sink: WorkerSink | undefined;
  private spawnError: string | undefined;
  private outOfStep: string | undefined;

  constructor(
    readonly spec: WorkerSpec,
    private readonly drainTimeoutMs: number,
  ) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("TUNELAB_")) env[k] = v;
    Object.assign(env, spec.env);
    this.child = spawn(spec.interpreter, ["-m", "tunelab.worker", spec.target], {
      cwd: spec.cwd,
      env,
      // Its own process group: close() and killSync() reach the worker and nothing else.
      detached: true,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    this.pid = this.child.pid;
    const spawned = new Promise<void>((resolve) => {
      this.child.once("spawn", resolve);
      this.child.once("error", (err) => {
        const code = (err as { code?: unknown }).code;
        this.spawnError = spawnFailureMessage(spec.interpreter, spec.cwd, typeof code === "string" ? code : undefined, String(err));
        resolve();
      });
    });
    // A dead worker's stdin rejects writes with EPIPE; its exit is what we act on.
    this.child.stdin?.on("error", () => undefined);
    const frames = this.child.stdio[3] as Readable | null;
    frames?.on("data", (chunk: Buffer) => this.onFrames(chunk));
    this.child.stdout?.on("data", (chunk: Buffer) => this.sink?.output("stdout", chunk));
    this.child.stderr?.on("data", (chunk: Buffer) => this.sink?.output("stderr", chunk));
    this.exited = this.watch(spawned, [frames, this.child.stdout, this.child.stderr]);
  }

  /** Gives the worker a trial; the sink then receives its frames until the exit event or the worker's death. */
  run(command: RunCommand, sink: WorkerSink): void {
    this.sink = sink;
    this.state = "busy";
    this.trials += 1;
    this.setRef(true);
    this.child.stdin?.write(`${JSON.stringify({ run: command })}\n`);
  }

  /** Stops reading while a trial's log catches up (backpressure reaches the trial through the pipes). */
  pause(): void {
    (this.child.stdio[3] as Readable | null)?.pause();
  }

  resume(): void {
    (this.child.stdio[3] as Readable | null)?.resume();
  }

  /** An idle worker must not keep the runner's event loop alive; a busy one does. */
  setRef(on: boolean): void {
    const handles = [this.child, this.child.stdin, this.child.stdout, this.child.stderr, this.child.stdio[3]] as (
      | { ref?: () => void; unref?: () => void }
      | null
      | undefined
    )[];
    for (const h of handles) (on ? h?.ref : h?.unref)?.call(h);
  }

  /** Signals the worker's process group (the worker only; each trial has its own group). */
  signal(signal: NodeJS.Signals): void {
    if (this.pid === undefined || this.state === "dead") return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** Lets an idle worker exit (end of its commands), SIGKILL after `graceMs`; resolves once it is gone. */
  async close(graceMs: number): Promise<void> {
    if (this.state === "dead") return;
    // An idle worker's handles are unref'd; the caller awaits its exit, so keep the loop alive for it.
    this.setRef(true);
    this.child.stdin?.end();
    if (graceMs <= 0) this.signal("SIGKILL");
    const timer = setTimeout(() => this.signal("SIGKILL"), Math.max(0, graceMs));
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private onFrames(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      if (frame.kind === "invalid") {
        this.outOfStep = frame.message;
        this.signal("SIGKILL");
        return;
      }
      if (frame.kind === "event" && "ready" in frame.event) {
        this.ready = true;
        continue;
      }
      const sink = this.sink;
      if (frame.kind === "event" && "exit" in frame.event) {
        this.sink = undefined;
        this.state = "idle";
      }
      sink?.frame(frame);
    }
  }

  private async watch(spawned: Promise<void>, pipes: (Readable | null | undefined)[]): Promise<WorkerExit> {
    await spawned;
    const exit = this.spawnError
      ? { code: null, signal: null }
      : await new Promise<WorkerExit>((resolve) => {
          if (this.child.exitCode !== null || this.child.signalCode !== null) {
            resolve({ code: this.child.exitCode, signal: this.child.signalCode });
          } else this.child.once("exit", (code, signal) => resolve({ code, signal }));
        });
    // Its import error may still be in the pipes: hand it on before saying the worker died.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(pipes.map(streamDone)),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.drainTimeoutMs))),
    ]);
    clearTimeout(timer);
    for (const p of pipes) p?.destroy();
    this.state = "dead";
    const sink = this.sink;
    this.sink = undefined;
    sink?.workerExit(exit, this.deathNote(exit));
    return exit;
  }

  private deathNote(exit: WorkerExit): string | undefined {
    if (this.spawnError) return this.spawnError;
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    if (this.outOfStep) return `tunelab: ${this.outOfStep}`;
    // Before "ready" the worker was importing: its own traceback (already in stderr) says why.
    if (!this.ready) return exit.code === 0 ? `tunelab: the Python worker (pid ${this.pid}) exited before importing ${this.spec.target}` : undefined;
    return `tunelab: the Python worker (pid ${this.pid}) running this trial ${how}`;
  }
}
