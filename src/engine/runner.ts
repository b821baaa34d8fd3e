/**
 * The control loop: the searcher suggests, the executor runs trials within
 * concurrency and resources, results flow to stoppers and the scheduler, and
 * their decisions are carried out. Every fact goes to the journal first.
 */
import { randomBytes } from "node:crypto";
import { appendFileSync, copyFileSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { TuneConfig } from "./config.ts";
import type { Executor, ReportMessage, RunningTrial, TrialExit, TrialHandle } from "./executors/executor.ts";
import { systemClock, type Clock, type Decision, type Result, type Scheduler, type Searcher, type TrialConfig, type TrialView } from "./interfaces.ts";
import { ResourcePool } from "./resources.ts";
import { createScheduler, drainPolicyLines } from "./schedulers/index.ts";
import { createSearcher } from "./search/index.ts";
import { createStopper, type Stopper } from "./stoppers/stopper.ts";
import { buildLaunch } from "./trainables/launch.ts";
import { Journal } from "./store/journal.ts";
import type { ExperimentOutcome, JournalEvent } from "./store/events.ts";
import type { ExperimentState } from "./store/state.ts";
import { checkpointsToDelete, persistCheckpoint, removeCheckpoint, type RemoteCheckpointRef } from "./store/checkpoints.ts";
import { TrialFileWriters, writeErrorFile, writeParams } from "./store/trial-files.ts";
import { completeResult } from "./runner/results.ts";
import { Trial } from "./runner/trial.ts";
import { copyDonorCheckpoint } from "./runner/exploit.ts";
import { createLoggers, DEFAULT_LOGGERS, type TrialLogger } from "./loggers/index.ts";
import { restoreTrials, runIdOf } from "./runner/restore.ts";
import { chooseRestore, restoreNote } from "./runner/restore-choice.ts";
import { killLeftoverTrial } from "./executors/orphans.ts";

export interface RunnerCallbacks {
  onTrialAdd?(trial: TrialView): void;
  onTrialStart?(trial: TrialView, attempt: number): void;
  onTrialResult?(trial: TrialView, result: Result): void;
  onTrialEnd?(trial: TrialView, status: string, detail?: string): void;
  onExperimentEnd?(summary: RunSummary): void;
}

export interface RunnerOptions {
  config: TuneConfig;
  /** Absolute path of tune.config.ts; relative paths in the config are resolved from its folder. */
  configPath: string;
  expDir: string;
  seed: number;
  executor: Executor;
  capacity: { cpus: number; gpus: number };
  /** The replayed journal when resuming. */
  previous?: ExperimentState;
  /** Each resumed trial's acknowledged results, to rebuild its result.json and progress.csv. */
  previousResults?: ReadonlyMap<string, readonly Result[]>;
  clock?: Clock;
  callbacks?: readonly RunnerCallbacks[];
  /** Instances to use instead of building them from the config (library use, tests). */
  searcher?: Searcher;
  scheduler?: Scheduler;
}

export interface RunSummary {
  outcome: ExperimentOutcome;
  message?: string;
  expDir: string;
  trials: readonly TrialView[];
  errored: number;
}

const TICK_MS = 200;

export class Runner {
  private readonly trials: Trial[] = [];
  /** RUNNING trials, and PENDING/PAUSED ones: kept apart so no step scans all 10,000 trials. */
  private readonly active = new Set<Trial>();
  private readonly waiting = new Set<Trial>();
  private readonly byId = new Map<string, Trial>();
  /**
   * Per trial, the last training_iteration journaled before its process failed or was lost: the
   * retry resumes from an older checkpoint (or from scratch) and reports those iterations again.
   * They were acknowledged once, so they are dropped (a checkpoint among them is kept).
   */
  private readonly replayUntil = new Map<Trial, number>();
  /** Retention of a checkpoint kept on its host deletes it there too (ssh executor). */
  private readonly removeRemote = (ref: RemoteCheckpointRef): void => this.opts.executor.removeRemoteCheckpoint?.(ref);
  private readonly callbacks: RunnerCallbacks[];
  private schedulerSavedAt = 0;
  private searcherSavedAt = 0;
  private searcherStateBytes = 0;
  private readonly clock: Clock;
  private readonly searcher: Searcher;
  private readonly scheduler: Scheduler;
  private readonly stopper: Stopper;
  private readonly pool: ResourcePool;
  private readonly concurrency: number;
  private readonly files = new TrialFileWriters();
  /** TensorBoard event files (result.json and progress.csv are `files`). */
  private readonly loggers: TrialLogger;
  private journal!: Journal;
  private journalFailure: Error | undefined;
  private running = 0;
  private searchDone = false;
  private stopping: { outcome: ExperimentOutcome; reason: string; pause: boolean } | undefined;
  private startedAt = 0;
  private finished = false;
  private nextIndex = 0;
  private readonly runId: string;
  private finish!: (s: RunSummary) => void;
  private tick: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RunnerOptions) {
    const { config } = opts;
    this.clock = opts.clock ?? systemClock;
    this.searcher = opts.searcher ?? createSearcher(config.search);
    this.scheduler = opts.scheduler ?? createScheduler(config.scheduler, { baseDir: dirname(opts.configPath) });
    this.stopper = createStopper(config.stop, this.clock, config.timeBudgetS);
    this.pool = new ResourcePool(opts.capacity.cpus, opts.capacity.gpus);
    this.concurrency = config.concurrency ?? Number.MAX_SAFE_INTEGER;
    this.runId = (opts.previous && runIdOf(opts.previous)) ?? randomBytes(3).toString("hex").slice(0, 5);
    this.callbacks = [...(opts.callbacks ?? [])];
    const kinds = (config.loggers ?? DEFAULT_LOGGERS).filter((k) => k === "tensorboard");
    this.loggers = createLoggers(kinds, opts.expDir, { log: (m) => process.stderr.write(`tunelab: ${m}\n`) });
  }

  /** Adds callbacks (e.g. the control API's event stream) before or during a run. */
  addCallbacks(callbacks: RunnerCallbacks): void {
    this.callbacks.push(callbacks);
  }

  /** Runs the experiment to its end; resolves with what happened. */
  async run(): Promise<RunSummary> {
    const { config, previous } = this.opts;
    // Trial files are written just before each journal batch, so they never lag the journal by more than one batch.
    this.journal = Journal.open(this.opts.expDir, {
      onError: (error) => this.onJournalFailure(error),
      beforeFlush: () => {
        this.files.flushAll();
        this.loggers.flushAll();
      },
    });
    this.startedAt = this.clock.now();
    const ctx = {
      space: config.space ?? {}, metric: config.metric, mode: config.mode,
      samples: config.samples ?? 1, seed: this.opts.seed, clock: this.clock,
    };
    this.searcher.setup(ctx);
    this.scheduler.setup({
      metric: config.metric, mode: config.mode, seed: this.opts.seed, clock: this.clock,
      capacity: { cpu: this.opts.capacity.cpus, gpu: this.opts.capacity.gpus },
    });
    if (previous) {
      this.log({ t: "resume", ts: Date.now() });
      if (previous.searcher !== undefined) this.searcher.restore(previous.searcher);
      if (previous.scheduler !== undefined) this.scheduler.restore(previous.scheduler);
      for (const trial of restoreTrials(previous)) {
        this.trials.push(trial);
        this.byId.set(trial.id, trial);
        this.setStatus(trial, trial.status);
        this.scheduler.onTrialAdd(trial);
      }
      this.nextIndex = this.trials.length;
      const reattached = this.reattachTrials(previous);
      for (const leftover of previous.trials) {
        if (leftover.status === "RUNNING" && leftover.pid && !reattached.has(leftover.id)) killLeftoverTrial(leftover.pid, leftover.id);
        if (leftover.status === "RUNNING" && !reattached.has(leftover.id)) this.noteReplay(this.byId.get(leftover.id));
      }
    } else {
      this.log({
        t: "experiment", ts: Date.now(), name: config.name ?? "experiment", seed: this.opts.seed,
        configPath: this.opts.configPath,
        ...(config.metric ? { metric: config.metric } : {}), ...(config.mode ? { mode: config.mode } : {}),
      });
    }
    const done = new Promise<RunSummary>((resolve) => (this.finish = resolve));
    this.tick = setInterval(() => this.guard(() => this.onTick()), TICK_MS);
    this.guard(() => this.fill());
    let summary = await done;
    clearInterval(this.tick);
    this.files.closeAll();
    this.loggers.closeAll();
    try {
      if (this.journalFailure) throw this.journalFailure;
      await this.journal.flush();
      this.journal.close();
    } catch (error) {
      this.journal.abandon();
      summary = { ...summary, outcome: "error", message: journalFailureMessage(error as Error) };
    }
    for (const cb of this.callbacks) cb.onExperimentEnd?.(summary);
    return summary;
  }

  /** Stops the experiment: trials get SIGTERM; with `pause`, a later resume continues them. */
  stop(reason: string, outcome: ExperimentOutcome = "stopped", pause = true): void {
    if (this.stopping) return;
    this.stopping = { outcome, reason, pause };
    for (const t of this.active) this.requestTrialStop(t, pause ? "PAUSED" : "TERMINATED", reason);
    this.maybeFinish();
  }

  /** Kills every trial process group now (second Ctrl-C, or the runner exiting). */
  async kill(): Promise<void> {
    await this.opts.executor.close(0);
  }

  get trialViews(): readonly TrialView[] {
    return this.trials;
  }

  /** The trial with `id`, if any. */
  findTrial(id: string): Trial | undefined {
    return this.byId.get(id);
  }

  /** When the run started (clock ms), and whether it is stopping or finished. */
  get phase(): { startedAt: number; status: "running" | "stopping" | "finished" } {
    return { startedAt: this.startedAt, status: this.finished ? "finished" : this.stopping ? "stopping" : "running" };
  }

  /** A trial with exactly `config` (already validated by the caller), run before new suggestions. */
  addTrial(config: TrialConfig): Trial {
    const trial = this.createTrial(config);
    this.guard(() => this.fill());
    return trial;
  }

  /** Stops one trial: a running one gets SIGTERM, a waiting one ends at once. */
  stopTrial(trial: Trial, reason = "stopped by the user"): void {
    if (trial.finished) return;
    trial.userPaused = false;
    if (trial.status === "RUNNING") this.requestTrialStop(trial, "TERMINATED", reason);
    else this.guard(() => {
      this.endWaitingTrial(trial, reason);
      this.fill();
    });
  }

  /** Pauses a running trial until `resumeTrial`; it restarts from its latest checkpoint. */
  pauseTrial(trial: Trial): void {
    trial.userPaused = true;
    if (trial.status === "RUNNING") this.requestTrialStop(trial, "PAUSED", "paused by the user");
  }

  /** Lets a trial paused by the user run again. */
  resumeTrial(trial: Trial): void {
    trial.userPaused = false;
    this.guard(() => this.fill());
  }

  /** How many trials the search will produce, when the searcher knows. */
  get total(): number | undefined {
    return this.searcher.total();
  }

  private log(event: JournalEvent): void {
    this.journalWrite((journal) => journal.append(event));
  }

  /** One append to the journal; after it failed, nothing more is appended. */
  private journalWrite(append: (journal: Journal) => void): void {
    if (this.journalFailure) return;
    try {
      append(this.journal);
    } catch (error) {
      this.onJournalFailure(error as Error);
    }
  }

  /**
   * The journal can take no more events (the disk failed, or the experiment dir was deleted
   * under the run): nothing more can be recorded, so the trials are stopped and the run ends
   * with the journal's error rather than going on unrecorded.
   */
  private onJournalFailure(error: Error): void {
    if (this.journalFailure) return;
    this.journalFailure = error;
    const wasStopping = this.stopping !== undefined;
    this.stopping = { outcome: "error", reason: journalFailureMessage(error), pause: true };
    if (!wasStopping) for (const t of this.active) this.requestTrialStop(t, "PAUSED", this.stopping.reason);
    this.maybeFinish();
  }

  /**
   * Runs an event handler; an exception (a searcher, scheduler or callback bug) stops the
   * experiment with the error as its outcome instead of leaving it hanging half-updated.
   */
  private guard(handler: () => void): void {
    try {
      handler();
    } catch (e) {
      const detail = e instanceof Error ? (e.stack ?? e.message) : String(e);
      if (!this.stopping) this.stop(`internal error: ${detail}`, "error", true);
      else this.maybeFinish();
    }
  }

  private onTick(): void {
    const reason = this.stopper.experimentCheck(this.startedAt);
    if (reason) this.stop(reason, "time_budget", false);
    const limit = this.stopper.trialTimeoutS;
    if (limit !== undefined) {
      const now = this.clock.now();
      for (const t of this.active) {
        if (!t.stopRequest && (now - t.attemptStartMs) / 1000 >= limit) {
          this.requestTrialStop(t, "TERMINATED", `trial time budget of ${limit}s used up`);
        }
      }
    }
  }

  /** Starts trials while concurrency, resources and the searcher allow. */
  private fill(): void {
    while (!this.stopping && this.running < this.concurrency) {
      const trial = this.nextTrialToRun();
      if (!trial) break;
      // A remote executor may have the total free but no single host that fits the trial.
      if (this.opts.executor.canPlace?.(trial.resources) === false && this.running > 0) break;
      const grant = this.pool.tryAcquire(trial.resources);
      if (!grant) {
        if (this.running === 0) {
          this.stop(`trial ${trial.id} needs ${trial.resources.cpu} CPU / ${trial.resources.gpu} GPU but only ` +
            `${this.opts.capacity.cpus} CPU / ${this.opts.capacity.gpus} GPU exist`, "error", false);
        }
        break;
      }
      this.startTrial(trial, grant.gpuIds);
    }
    this.maybeFinish();
  }

  private nextTrialToRun(): Trial | undefined {
    const chosen = this.chooseWaiting();
    if (chosen) return chosen;
    if (this.searchDone) return this.running === 0 ? this.chooseWaiting() : undefined;
    const id = `${this.runId}_${String(this.nextIndex).padStart(5, "0")}`;
    let suggestion;
    try {
      suggestion = this.searcher.suggest(id);
    } catch (e) {
      this.searchDone = true;
      this.stop(`the searcher failed: ${e instanceof Error ? e.message : String(e)}`, "error", false);
      return undefined;
    }
    if (suggestion === "done") this.searchDone = true;
    if (suggestion === "done" || suggestion === "wait") {
      // A scheduler waiting for more trials (HyperBand filling a bracket) settles when none will come.
      return this.running === 0 ? this.chooseWaiting() : undefined;
    }
    const trial = this.createTrial(suggestion);
    this.saveSearcherState(false);
    return trial.status === "PENDING" ? trial : undefined;
  }

  /** The PENDING or PAUSED trial the scheduler wants to (re)start, after carrying out what it decided meanwhile. */
  private chooseWaiting(): Trial | undefined {
    const candidates = [...this.waiting].filter((t) => !t.userPaused).sort((a, b) => a.index - b.index);
    const chosen = candidates.length ? (this.scheduler.chooseTrialToRun(candidates) as Trial | null) : null;
    this.drainSchedulerActions();
    return chosen && (chosen.status === "PENDING" || chosen.status === "PAUSED") ? chosen : undefined;
  }

  private createTrial(config: TrialConfig): Trial {
    const id = `${this.runId}_${String(this.nextIndex).padStart(5, "0")}`;
    const trial = new Trial(id, this.nextIndex++, config, {
      cpu: this.opts.config.resources?.cpu ?? 1,
      gpu: this.opts.config.resources?.gpu ?? 0,
    }, id);
    this.trials.push(trial);
    this.byId.set(id, trial);
    this.setStatus(trial, "PENDING");
    writeParams(join(this.opts.expDir, trial.dirName), trial.config);
    this.log({ t: "trial", ts: Date.now(), id, index: trial.index, config: trial.config, resources: trial.resources });
    this.scheduler.onTrialAdd(trial);
    for (const cb of this.callbacks) cb.onTrialAdd?.(trial);
    // PBT replay sets a new trial's first config through an action, before it ever starts.
    this.drainSchedulerActions();
    return trial;
  }

  private startTrial(trial: Trial, gpuIds: readonly number[]): void {
    const executor = this.opts.executor;
    const choice = chooseRestore(trial.checkpoints, this.opts.expDir, executor.unreachableCheckpoint?.bind(executor));
    const restore = choice.restore;
    trial.attempts += 1;
    this.beginAttempt(trial, gpuIds, restore?.iteration ?? 0, undefined);
    const launch = this.launchFor(trial, restore ? join(this.opts.expDir, restore.path) : undefined);
    trial.handle = this.opts.executor.start(launch, this.eventsFor(trial));
    const note = restoreNote(trial.id, choice);
    this.log({
      t: "start", ts: Date.now(), id: trial.id, attempt: trial.attempts, iteration: trial.iteration,
      ...(restore ? { restore: restore.path } : {}), ...(trial.handle.pid ? { pid: trial.handle.pid } : {}),
      ...(gpuIds.length ? { gpuIds: [...gpuIds] } : {}), ...(note ? { note } : {}),
    });
    this.journalHandle(trial, trial.handle);
    if (note) this.noteRestart(trial, note, trial.handle);
    for (const cb of this.callbacks) cb.onTrialStart?.(trial, trial.attempts);
  }

  /**
   * Says in the trial's stderr.log and on the console that it restarts from an older checkpoint
   * (or from scratch) and why, naming where it runs now once the executor knows.
   */
  private noteRestart(trial: Trial, note: string, running: RunningTrial): void {
    const write = (handle: TrialHandle | undefined): void => {
      const line = `tunelab: ${note}${typeof handle?.host === "string" ? ` on ${handle.host}` : ""}\n`;
      try {
        appendFileSync(join(this.opts.expDir, trial.dirName, "stderr.log"), line);
      } catch {
        // The trial dir is gone (experiment removed under the run): the console still says it.
      }
      process.stderr.write(line);
    };
    if (running.handle || !running.started) write(running.handle);
    else void running.started.then(write, () => write(undefined));
  }

  /** Resets a trial's per-attempt state as its process starts (or is re-attached). */
  private beginAttempt(trial: Trial, gpuIds: readonly number[], iteration: number, previousResults: readonly Result[] | undefined): void {
    this.setStatus(trial, "RUNNING");
    trial.gpuIds = gpuIds;
    trial.stopRequest = undefined;
    trial.finalReportTaken = false;
    trial.protocolError = undefined;
    trial.iteration = iteration;
    trial.iterationsSinceRestore = 0;
    trial.attemptStartMs = this.clock.now();
    trial.lastReportMs = 0;
    this.running += 1;
    const trialDir = join(this.opts.expDir, trial.dirName);
    // On resume the files are rebuilt from the journal's results: they may hold unacknowledged ones.
    this.files.open(trial.id, trialDir, previousResults ?? this.opts.previousResults?.get(trial.id) ?? (trial.attempts > 1 ? undefined : []));
    this.loggers.open(trial.id, trialDir);
  }

  private launchFor(trial: Trial, restore: string | undefined) {
    const { config, expDir, configPath } = this.opts;
    return buildLaunch({
      trainable: config.trainable, configPath, expDir, trialDir: join(expDir, trial.dirName), trialId: trial.id,
      restore, iteration: trial.iteration, resources: trial.resources, gpuIds: trial.gpuIds, attempt: trial.attempts,
      checkpointFrequency: config.checkpoints?.frequency ?? 0, checkpointAtEnd: config.checkpoints?.atEnd ?? false,
    });
  }

  private eventsFor(trial: Trial) {
    return {
      onReport: (m: ReportMessage) => this.guard(() => this.onReport(trial, m)),
      onProtocolError: (m: string) => this.guard(() => this.onProtocolError(trial, m)),
      onExit: (e: TrialExit) => this.guard(() => this.onExit(trial, e)),
    };
  }

  /** Journals where a remote trial runs, once the executor knows, so a restarted runner can re-attach. */
  private journalHandle(trial: Trial, running: RunningTrial, reattached = false): void {
    const attempt = trial.attempts;
    const write = (handle: TrialHandle | undefined): void => {
      if (!handle || trial.status !== "RUNNING" || trial.attempts !== attempt || this.finished) return;
      this.log({ t: "handle", ts: Date.now(), id: trial.id, attempt, handle, ...(reattached ? { reattached } : {}) });
    };
    if (running.handle) write(running.handle);
    else void running.started?.then(write, () => undefined);
  }

  /**
   * After a runner restart, takes over remote trials that are still running where they were
   * started (their journaled handle), so they are neither lost nor run twice.
   */
  private reattachTrials(previous: ExperimentState): Set<string> {
    const reattached = new Set<string>();
    const executor = this.opts.executor;
    if (!executor.reattach) return reattached;
    for (const s of previous.trials) {
      const trial = this.byId.get(s.id);
      if (s.status !== "RUNNING" || !s.handle || !trial) continue;
      const grant = this.pool.tryAcquire(trial.resources);
      if (!grant) continue;
      trial.attempts = s.attempts;
      const seen = Math.max(0, s.iteration - (s.startIteration ?? 0));
      this.beginAttempt(trial, grant.gpuIds, s.startIteration ?? 0, this.opts.previousResults?.get(trial.id));
      const running = executor.reattach(this.launchFor(trial, s.restore ? join(this.opts.expDir, s.restore) : undefined), s.handle, this.eventsFor(trial), { reportsSeen: seen });
      if (!running) {
        this.running -= 1;
        this.files.close(trial.id);
        this.loggers.close(trial.id);
        this.pool.release(trial.resources, grant.gpuIds);
        this.setStatus(trial, "PENDING");
        continue;
      }
      // Results already journaled are not delivered again: the counters continue from them.
      trial.iteration = s.iteration;
      trial.iterationsSinceRestore = seen;
      trial.handle = running;
      reattached.add(trial.id);
      this.journalHandle(trial, running, true);
    }
    return reattached;
  }

  private onReport(trial: Trial, message: ReportMessage): void {
    if (trial.status !== "RUNNING" || trial.protocolError) return;
    // Once the runner decided to stop or pause a trial, what it reports until SIGTERM lands is
    // dropped, as Ray does: schedulers and resumes see the trial as it was at the decision. The
    // one exception is a trial stopped for good answering SIGTERM with a final checkpoint
    // (a class trainable saving at end): that one report is kept.
    if (trial.stopRequest) {
      if (trial.stopRequest.status === "PAUSED" || !message.checkpoint || trial.finalReportTaken) return;
      trial.finalReportTaken = true;
    }
    const replayed = this.replayUntil.get(trial);
    if (replayed !== undefined) {
      if (trial.iteration < replayed) return this.skipReplayed(trial, message);
      this.replayUntil.delete(trial);
    }
    const result = completeResult(trial, message.result, this.clock.now(), trial.handle?.pid);
    // The checkpoint is kept first, so a scheduler deciding on this result (PBT) sees it.
    if (message.checkpoint) this.saveCheckpoint(trial, message.checkpoint, result);
    const stopReason = trial.stopRequest ? undefined : this.stopper.onResult(trial.id, result);
    const decision: Decision = stopReason || trial.stopRequest ? "CONTINUE" : this.scheduler.onTrialResult(trial, result);
    if (stopReason || decision === "STOP") result.done = true;
    trial.lastResult = result;
    const json = JSON.stringify(result);
    this.journalWrite((journal) => journal.appendResult(Date.now(), trial.id, json));
    this.files.append(trial.id, result, json);
    this.loggers.append(trial.id, result, json);
    this.searcher.onTrialResult(trial.id, result);
    for (const cb of this.callbacks) cb.onTrialResult?.(trial, result);
    if (stopReason) this.requestTrialStop(trial, "TERMINATED", stopReason);
    else this.applyDecision(trial, decision, "the scheduler");
    this.saveSchedulerState(decision !== "CONTINUE");
    this.drainSchedulerActions();
  }

  /** A retry's report of an iteration already journaled: only the counters and a checkpoint move. */
  private skipReplayed(trial: Trial, message: ReportMessage): void {
    trial.iteration += 1;
    trial.iterationsSinceRestore += 1;
    trial.lastReportMs = this.clock.now();
    if (message.checkpoint) this.saveCheckpoint(trial, message.checkpoint, message.result as Result);
  }

  /** The trial restarts from its checkpoint after a failure: what it reports up to its last journaled iteration is a replay. */
  private noteReplay(trial: Trial | undefined): void {
    const last = trial?.lastResult?.training_iteration;
    if (trial && typeof last === "number") this.replayUntil.set(trial, Math.max(last, this.replayUntil.get(trial) ?? 0));
  }

  /** Carries out a scheduler's decision about `trial`, whatever state it is in. */
  private applyDecision(trial: Trial, decision: Decision, by: string): void {
    if (decision === "CONTINUE" || trial.finished) return;
    if (decision === "STOP") {
      if (trial.status === "RUNNING") this.requestTrialStop(trial, "TERMINATED", `stopped early by ${by}`);
      else this.endWaitingTrial(trial, `stopped early by ${by}`);
    } else if (decision === "PAUSE") {
      if (trial.status === "RUNNING") this.requestTrialStop(trial, "PAUSED", `paused by ${by}`);
    } else {
      trial.pendingChange = decision;
      // The donor's checkpoint is copied now, before it moves on; new resources wait for the
      // process to end (the pool releases what the trial was started with).
      if (decision.kind === "EXPLOIT" || trial.status !== "RUNNING") this.applyPendingChange(trial);
      if (trial.status === "RUNNING") {
        const why = decision.kind === "EXPLOIT" ? `exploiting ${decision.donorId}` : "changing resources";
        this.requestTrialStop(trial, "PAUSED", `paused by ${by}: ${why}`);
      }
    }
  }

  /** PBT's exploit or a resource change, once the trial's process has stopped. */
  private applyPendingChange(trial: Trial): void {
    const change = trial.pendingChange;
    trial.pendingChange = undefined;
    if (!change) return;
    if (change.kind === "RESOURCES") {
      trial.resources = { ...change.resources };
      this.log({ t: "resources", ts: Date.now(), id: trial.id, resources: trial.resources });
      return;
    }
    const { expDir } = this.opts;
    this.replayUntil.delete(trial); // a new config: what it reports from the donor's iteration on is new
    const donor = this.byId.get(change.donorId);
    let copied: { iteration: number; path: string } | undefined;
    if (donor && donor !== trial) {
      const result = copyDonorCheckpoint(expDir, trial, donor, this.removeRemote);
      if (!result) return; // the donor lost its checkpoint: the trial keeps its own config and state
      for (const path of result.removed) this.log({ t: "checkpoint_removed", ts: Date.now(), id: trial.id, path });
      copied = result.copied;
    }
    trial.config = change.config;
    writeParams(join(expDir, trial.dirName), trial.config);
    this.log({
      t: "config", ts: Date.now(), id: trial.id, config: trial.config, donorId: change.donorId,
      ...(copied ? { checkpoint: copied.path, iteration: copied.iteration } : {}), ...(change.note ? { note: change.note } : {}),
    });
  }

  /** Ends a PENDING or PAUSED trial that has no process (a scheduler or the user stopped it). */
  private endWaitingTrial(trial: Trial, reason: string): void {
    this.setStatus(trial, "TERMINATED");
    trial.stoppedBy = reason;
    trial.pendingChange = undefined;
    this.log({ t: "end", ts: Date.now(), id: trial.id, status: "TERMINATED", stoppedBy: reason });
    this.loggers.close(trial.id, { config: trial.config, failed: false, lastResult: trial.lastResult, trialDir: join(this.opts.expDir, trial.dirName) });
    this.scheduler.onTrialComplete(trial, trial.lastResult);
    this.searcher.onTrialComplete(trial.id, trial.lastResult, false);
    for (const cb of this.callbacks) cb.onTrialEnd?.(trial, "TERMINATED", reason);
  }

  private drainSchedulerActions(): void {
    this.writePolicyLines();
    const actions = this.scheduler.takeActions?.();
    if (!actions?.length) return;
    for (const { trialId, decision } of actions) {
      const trial = this.byId.get(trialId);
      if (trial) this.applyDecision(trial, decision, "the scheduler");
    }
    this.saveSchedulerState(true);
  }

  /**
   * Journals the searcher's state. Small states (random/grid: a cursor) go after every
   * suggestion, so a resume continues exactly; a model's state holds its whole history, so it is
   * journaled at most every 2 s (and at the end) to keep the journal linear in the trials.
   */
  private saveSearcherState(force: boolean): void {
    const now = this.clock.now();
    if (!force && this.searcherStateBytes > 16_384 && now - this.searcherSavedAt < 2000) return;
    const state = this.searcher.save();
    this.searcherStateBytes = JSON.stringify(state)?.length ?? 0;
    this.searcherSavedAt = now;
    this.log({ t: "searcher", ts: Date.now(), state });
  }

  /** PBT's pbt_global.txt and pbt_policy_<trial>.txt, in Ray's format (PBT replay reads them). */
  private writePolicyLines(): void {
    for (const { file, line, copyFrom } of drainPolicyLines(this.scheduler)) {
      const target = join(this.opts.expDir, file);
      if (copyFrom && existsSync(join(this.opts.expDir, copyFrom))) copyFileSync(join(this.opts.expDir, copyFrom), target);
      appendFileSync(target, `${line}\n`);
    }
  }

  /** Journals the scheduler's state when it decided something, else at most once a second. */
  private saveSchedulerState(force: boolean): void {
    const now = this.clock.now();
    if (!force && now - this.schedulerSavedAt < 1000) return;
    this.schedulerSavedAt = now;
    const state = this.scheduler.save();
    if (state !== null && state !== undefined) this.log({ t: "scheduler", ts: Date.now(), state });
  }

  private saveCheckpoint(trial: Trial, source: string, result: Result): void {
    const { expDir, config } = this.opts;
    let abs: string;
    try {
      abs = persistCheckpoint(source, join(expDir, trial.dirName), trial.iteration, this.removeRemote);
    } catch (e) {
      this.onProtocolError(trial, `could not keep checkpoint ${source}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const path = relative(expDir, abs);
    const scoreAttr = config.checkpoints?.scoreAttr ?? config.metric;
    const raw = scoreAttr ? result[scoreAttr] : undefined;
    const score = typeof raw === "number" ? raw : undefined;
    trial.checkpoints = trial.checkpoints.filter((c) => c.path !== path);
    trial.checkpoints.push({ iteration: trial.iteration, path, ...(score !== undefined ? { score } : {}) });
    this.log({ t: "checkpoint", ts: Date.now(), id: trial.id, iteration: trial.iteration, path, ...(score !== undefined ? { score } : {}) });
    const keep = config.checkpoints?.keep;
    if (keep === undefined) return;
    const order = config.checkpoints?.scoreOrder ?? (config.checkpoints?.scoreAttr ? "max" : config.mode ?? "max");
    for (const gone of checkpointsToDelete(trial.checkpoints, { keep, scoreOrder: order, ...(scoreAttr ? { scoreAttr } : {}) })) {
      removeCheckpoint(join(expDir, gone.path), this.removeRemote);
      trial.checkpoints = trial.checkpoints.filter((c) => c.path !== gone.path);
      this.log({ t: "checkpoint_removed", ts: Date.now(), id: trial.id, path: gone.path });
    }
  }

  private onProtocolError(trial: Trial, message: string): void {
    if (trial.protocolError || trial.status !== "RUNNING") return;
    trial.protocolError = `bad report from trial ${trial.id}: ${message}`;
    void trial.handle?.stop(this.graceMs());
  }

  private requestTrialStop(trial: Trial, status: "TERMINATED" | "PAUSED", reason: string): void {
    if (trial.stopRequest) {
      // A stop for good wins over a pending pause (e.g. HyperBand dropping a trial it just paused).
      if (status === "TERMINATED" && trial.stopRequest.status === "PAUSED") trial.stopRequest = { status, reason };
      return;
    }
    trial.stopRequest = { status, reason };
    void trial.handle?.stop(this.graceMs());
  }

  private graceMs(): number {
    return (this.opts.config.stopGraceS ?? 5) * 1000;
  }

  private onExit(trial: Trial, exit: TrialExit): void {
    this.running -= 1;
    this.pool.release(trial.resources, trial.gpuIds);
    trial.handle = undefined;
    this.files.close(trial.id);
    const trialDir = join(this.opts.expDir, trial.dirName);
    const request = trial.stopRequest;
    let error: string | undefined;
    if (trial.protocolError) error = trial.protocolError;
    else if (!request && exit.code !== 0) {
      const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
      error = `trial ${trial.id} ${how}${exit.stderrTail ? `:\n${exit.stderrTail}` : ""}`;
    }
    if (error) {
      // A trial lost to its host or a cluster preemption is retried without counting a failure.
      const notCounted = exit.retryable === true && !this.stopping;
      if (!notCounted) trial.failures += 1;
      writeErrorFile(trialDir, error);
      const max = this.opts.config.maxFailures ?? 0;
      const retry = !this.stopping && (notCounted || max < 0 || trial.failures <= max);
      this.setStatus(trial, retry ? "PENDING" : "ERROR");
      trial.error = error;
      this.log({ t: "end", ts: Date.now(), id: trial.id, status: "ERROR", error, ...(retry ? { retry: true } : {}), ...(notCounted ? { notCounted } : {}) });
      trial.pendingChange = undefined;
      if (retry) this.noteReplay(trial);
      else {
        this.replayUntil.delete(trial);
        this.scheduler.onTrialError(trial);
        this.searcher.onTrialComplete(trial.id, trial.lastResult, true);
      }
      for (const cb of this.callbacks) cb.onTrialEnd?.(trial, retry ? "RETRY" : "ERROR", error);
    } else {
      const status = request?.status ?? "TERMINATED";
      this.setStatus(trial, status);
      trial.stoppedBy = request?.reason;
      this.log({ t: "end", ts: Date.now(), id: trial.id, status, ...(request ? { stoppedBy: request.reason } : {}) });
      if (status === "TERMINATED") {
        trial.pendingChange = undefined;
        this.scheduler.onTrialComplete(trial, trial.lastResult);
        this.searcher.onTrialComplete(trial.id, trial.lastResult, false);
      } else this.applyPendingChange(trial);
      for (const cb of this.callbacks) cb.onTrialEnd?.(trial, status, request?.reason);
    }
    this.loggers.close(trial.id, trial.finished ? { config: trial.config, failed: trial.status === "ERROR", lastResult: trial.lastResult } : undefined);
    this.saveSchedulerState(true);
    this.drainSchedulerActions();
    this.fill();
  }

  private setStatus(trial: Trial, status: Trial["status"]): void {
    trial.status = status;
    this.active.delete(trial);
    this.waiting.delete(trial);
    if (status === "RUNNING") this.active.add(trial);
    else if (status === "PENDING" || status === "PAUSED") this.waiting.add(trial);
  }

  private maybeFinish(): void {
    if (this.finished || this.running > 0) return;
    if (!this.stopping) {
      if (this.waiting.size) {
        if ([...this.waiting].every((t) => t.userPaused)) return; // the user resumes them through the control API
        // fill() just ran: nothing could start though trials wait, and nothing runs to change that.
        const ids = [...this.waiting].map((t) => t.id).slice(0, 5).join(", ");
        this.stopping = {
          outcome: "error", pause: false,
          reason: `the ${this.opts.config.scheduler?.kind ?? "fifo"} scheduler left ${this.waiting.size} trial(s) waiting (${ids}) with nothing running`,
        };
      } else if (!this.searchDone) {
        // Nothing runs, nothing waits, and the searcher gave no config: it can never make progress.
        this.stopping = { outcome: "error", reason: "the searcher is waiting for results but no trial is running", pause: false };
      }
    }
    this.finished = true;
    this.saveSearcherState(true);
    this.saveSchedulerState(true);
    const outcome = this.stopping?.outcome ?? "completed";
    const message = this.stopping?.reason;
    this.log({ t: "finished", ts: Date.now(), outcome, ...(message ? { message } : {}) });
    this.finish({
      outcome, expDir: this.opts.expDir, trials: this.trials,
      errored: this.trials.filter((t) => t.status === "ERROR").length, ...(message ? { message } : {}),
    });
  }
}

function journalFailureMessage(error: Error): string {
  return `${error.message}; the trials were stopped, since nothing more could be recorded`;
}
