/**
 * The local executor: trials are process groups on this machine. Which trials
 * run and on which GPUs is the runner's choice (see resources.ts); this only
 * starts, relays and stops.
 */
import type { Executor, RunningTrial, TrialEvents, TrialLaunch } from "./executor.ts";
import { LocalTrial } from "./local-trial.ts";

export interface LocalExecutorOptions {
  /** GPUs on this machine (detectGpus()); when > 0, trials given no GPU get CUDA_VISIBLE_DEVICES="". Default 0. */
  machineGpus?: number;
  /** How long to keep reading a trial's pipes after it exited, when a stray process holds them. Default 5000. */
  drainTimeoutMs?: number;
}

export class LocalExecutor implements Executor {
  private readonly running = new Set<LocalTrial>();
  private readonly machineGpus: number;
  private readonly drainTimeoutMs: number;

  constructor(opts: LocalExecutorOptions = {}) {
    this.machineGpus = opts.machineGpus ?? 0;
    this.drainTimeoutMs = opts.drainTimeoutMs ?? 5000;
  }

  /** Starts one trial; failures to start arrive as onExit, never as exceptions. */
  start(launch: TrialLaunch, events: TrialEvents): RunningTrial {
    const trial = new LocalTrial(launch, events, { machineGpus: this.machineGpus, drainTimeoutMs: this.drainTimeoutMs });
    this.running.add(trial);
    void trial.done.finally(() => this.running.delete(trial));
    return trial;
  }

  /** Stops every running trial (SIGTERM, SIGKILL after graceMs); resolves when all have exited. */
  async close(graceMs: number): Promise<void> {
    await Promise.all([...this.running].map((t) => t.stop(graceMs)));
  }

  /** SIGKILLs every trial's process group now; safe in a process 'exit' handler, where nothing async runs. */
  killAllSync(): void {
    for (const t of this.running) t.killSync();
  }

  /** How many trials have not yet reported their exit. */
  get size(): number {
    return this.running.size;
  }
}
