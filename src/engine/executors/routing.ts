/**
 * The executor the runner uses on this machine: Python trainables go to warm
 * workers (python-workers.ts), everything else to a LocalExecutor. Both keep
 * the Executor contract, so the runner cannot tell them apart.
 */
import type { Executor, RunningTrial, TrialEvents, TrialLaunch } from "./executor.ts";
import { LocalExecutor } from "./local.ts";
import { PythonWorkerPool, pythonTrainableTarget } from "./python-workers.ts";

export interface RoutingExecutorOptions {
  /** GPUs on this machine (detectGpus()). Default 0. */
  machineGpus?: number;
  /** How long to keep reading a trial's output after it exited. Default 5000. */
  drainTimeoutMs?: number;
  /** Run Python trainables in warm workers (config `reuseWorkers`). Default true; never on Windows (no fork). */
  reuseWorkers?: boolean;
  /** An idle worker exits after this long. Default 60000. */
  idleTimeoutMs?: number;
  /** At most this many idle workers are kept. Default 8. */
  maxIdleWorkers?: number;
}

export class RoutingExecutor implements Executor {
  readonly local: LocalExecutor;
  /** Undefined when workers are off. */
  readonly workers: PythonWorkerPool | undefined;

  constructor(opts: RoutingExecutorOptions = {}) {
    const common = {
      ...(opts.machineGpus !== undefined ? { machineGpus: opts.machineGpus } : {}),
      ...(opts.drainTimeoutMs !== undefined ? { drainTimeoutMs: opts.drainTimeoutMs } : {}),
    };
    this.local = new LocalExecutor(common);
    const reuse = (opts.reuseWorkers ?? true) && process.platform !== "win32";
    this.workers = reuse
      ? new PythonWorkerPool({
          ...common,
          ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
          ...(opts.maxIdleWorkers !== undefined ? { maxIdleWorkers: opts.maxIdleWorkers } : {}),
        })
      : undefined;
  }

  /** Starts one trial where it belongs; failures to start arrive as onExit, never as exceptions. */
  start(launch: TrialLaunch, events: TrialEvents): RunningTrial {
    if (this.workers && pythonTrainableTarget(launch.argv)) return this.workers.start(launch, events);
    return this.local.start(launch, events);
  }

  /** Stops every trial (SIGTERM, SIGKILL after graceMs) and lets every worker exit. */
  async close(graceMs: number): Promise<void> {
    await Promise.all([this.local.close(graceMs), this.workers?.close(graceMs)]);
  }

  /** SIGKILLs every trial and worker now; safe in a process 'exit' handler. */
  killAllSync(): void {
    this.local.killAllSync();
    this.workers?.killAllSync();
  }

  /** Trials that have not yet reported their exit. */
  get size(): number {
    return this.local.size + (this.workers?.size ?? 0);
  }
}
