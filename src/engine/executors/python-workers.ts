/**
 * Warm workers for Python trainables (docs/workers.md): an Executor for
 * `python -m tunelab.run module:attr` launches that keeps `tunelab.worker`
 * processes between trials, so the trainable's module (and numpy, torch, ...)
 * is imported once per worker instead of once per trial. Each trial still
 * runs in its own process, a fork of the worker, so nothing leaks between
 * trials. Idle workers are keyed by what a trial cannot change after import:
 * interpreter, cwd, target and the non-per-trial environment.
 */
import type { Executor, RunningTrial, TrialEvents, TrialLaunch } from "./executor.ts";
import { PythonWorker, type WorkerSpec } from "./python-worker.ts";
import { WorkerTrial } from "./worker-trial.ts";

export interface PythonWorkerPoolOptions {
  /** GPUs on this machine: when > 0, a trial given none gets CUDA_VISIBLE_DEVICES="" (as LocalExecutor does). */
  machineGpus?: number;
  /** How long to keep reading a trial's output after it exited, when a stray process holds its pipes. Default 5000. */
  drainTimeoutMs?: number;
  /** An idle worker exits after this long without a trial. Default 60000. */
  idleTimeoutMs?: number;
  /** At most this many idle workers are kept; past it, one idle the longest under its kind is closed. Default 8. */
  maxIdleWorkers?: number;
}

/** `[interpreter, "-m", "tunelab.run", "module:attr"]` (what buildLaunch makes of `{ python }`), else undefined. */
export function pythonTrainableTarget(argv: readonly string[]): { interpreter: string; target: string } | undefined {
  if (argv.length !== 4 || argv[1] !== "-m" || argv[2] !== "tunelab.run") return undefined;
  const [interpreter, , , target] = argv as [string, string, string, string];
  if (interpreter === "" || !/^[^:\s]+:[^:\s]+$/.test(target)) return undefined;
  return { interpreter, target };
}

/** Variables that differ between trials; everything else in a launch's env is the worker's. */
export function isPerTrialVariable(name: string): boolean {
  return name.startsWith("TUNELAB_") || name === "CUDA_VISIBLE_DEVICES";
}

/** The worker a Python launch can run in, or undefined when the launch is not a Python trainable. */
export function workerSpecFor(launch: TrialLaunch): WorkerSpec | undefined {
  const python = pythonTrainableTarget(launch.argv);
  if (!python) return undefined;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(launch.env)) if (!isPerTrialVariable(k)) env[k] = v;
  return { ...python, cwd: launch.cwd, env };
}

/** Two launches with the same key can share a worker. */
export function workerKey(spec: WorkerSpec): string {
  const env = Object.entries(spec.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([spec.interpreter, spec.cwd, spec.target, env]);
}

interface IdleWorker {
  worker: PythonWorker;
  timer: NodeJS.Timeout;
}

export class PythonWorkerPool implements Executor {
  private readonly idle = new Map<string, IdleWorker[]>();
  private readonly running = new Set<WorkerTrial>();
  private readonly workers = new Set<PythonWorker>();
  private readonly machineGpus: number;
  private readonly drainTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly maxIdleWorkers: number;
  private closed = false;
  /** Workers started so far (for tests and benchmarks: how often a trial paid the import). */
  spawned = 0;

  constructor(opts: PythonWorkerPoolOptions = {}) {
    this.machineGpus = opts.machineGpus ?? 0;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 5000;
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 60_000;
    this.maxIdleWorkers = opts.maxIdleWorkers ?? 8;
  }

  /** Starts a Python trial on an idle worker of its kind, or on a new one; failures arrive as onExit. */
  start(launch: TrialLaunch, events: TrialEvents): RunningTrial {
    const spec = workerSpecFor(launch);
    if (!spec) throw new Error(`PythonWorkerPool: trial ${launch.trialId} is not a Python trainable (argv ${JSON.stringify(launch.argv)}); route it to a LocalExecutor`);
    const key = workerKey(spec);
    const worker = this.takeIdle(key) ?? this.spawn(spec);
    const trial = new WorkerTrial(launch, events, worker, {
      machineGpus: this.machineGpus, drainTimeoutMs: this.drainTimeoutMs, replaceWorker: () => this.spawn(spec),
      // The runner starts the next trial from inside onExit: the worker must be idle again by then.
      release: (w) => {
        this.running.delete(trial);
        this.giveBack(key, w);
      },
    });
    this.running.add(trial);
    return trial;
  }

  /** Stops every running trial (SIGTERM, SIGKILL after graceMs), then lets every worker exit. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running].map((t) => t.stop(graceMs)));
    for (const list of this.idle.values()) for (const { timer } of list) clearTimeout(timer);
    this.idle.clear();
    await Promise.all([...this.workers].map((w) => w.close(graceMs)));
  }

  /** SIGKILLs every trial and every worker now; safe in a process 'exit' handler. */
  killAllSync(): void {
    for (const t of this.running) t.killSync();
    for (const w of this.workers) w.signal("SIGKILL");
  }

  /** Trials that have not yet reported their exit. */
  get size(): number {
    return this.running.size;
  }

  /** Idle workers now kept (all kinds). */
  get idleCount(): number {
    let n = 0;
    for (const list of this.idle.values()) n += list.length;
    return n;
  }

  private spawn(spec: WorkerSpec): PythonWorker {
    const worker = new PythonWorker(spec, this.drainTimeoutMs);
    this.spawned += 1;
    this.workers.add(worker);
    void worker.exited.then(() => {
      this.workers.delete(worker);
      this.dropIdle(worker);
    });
    return worker;
  }

  private takeIdle(key: string): PythonWorker | undefined {
    const list = this.idle.get(key);
    while (list?.length) {
      // Most recently used first: its pages are the likeliest to be warm.
      const { worker, timer } = list.pop()!;
      clearTimeout(timer);
      if (worker.state === "idle") return worker;
    }
    return undefined;
  }

  private giveBack(key: string, worker: PythonWorker): void {
    if (worker.state !== "idle") return;
    if (this.closed) {
      void worker.close(0);
      return;
    }
    worker.setRef(false);
    const timer = setTimeout(() => {
      this.dropIdle(worker);
      void worker.close(1000);
    }, this.idleTimeoutMs);
    timer.unref();
    const list = this.idle.get(key) ?? [];
    list.push({ worker, timer });
    this.idle.set(key, list);
    if (this.idleCount > this.maxIdleWorkers) this.evictOldest();
  }

  private evictOldest(): void {
    for (const [key, list] of this.idle) {
      const oldest = list.shift();
      if (list.length === 0) this.idle.delete(key);
      if (!oldest) continue;
      clearTimeout(oldest.timer);
      void oldest.worker.close(1000);
      return;
    }
  }

  private dropIdle(worker: PythonWorker): void {
    for (const [key, list] of this.idle) {
      const i = list.findIndex((w) => w.worker === worker);
      if (i === -1) continue;
      clearTimeout(list[i]!.timer);
      list.splice(i, 1);
      if (list.length === 0) this.idle.delete(key);
    }
  }
}
