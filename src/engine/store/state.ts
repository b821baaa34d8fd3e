/**
 * Rebuilds what the runner knew from the journal. Pure: no I/O and no Node
 * imports, because the VS Code extension imports it to show trials.
 * `replay` mutates one state in place (a 10k-trial journal has ~120k events;
 * copying per event would be quadratic); `applyEvent` is the copy-on-write
 * variant for callers that keep old states around.
 */
import type { Result, TrialConfig, TrialStatus } from "../interfaces.ts";
import type { ExperimentOutcome, JournalEvent, TrialResources } from "./events.ts";
import type { TrialHandle } from "../executors/executor.ts";

export interface CheckpointRecord {
  iteration: number;
  /** Relative to the experiment dir, as journaled. */
  path: string;
  score?: number;
}

export interface TrialState {
  id: string;
  index: number;
  config: TrialConfig;
  resources: TrialResources;
  status: TrialStatus;
  /** Processes started for this trial (start events seen). */
  attempts: number;
  failures: number;
  /** Last `training_iteration`, or where the last start resumed from. */
  iteration: number;
  lastResult: Result | undefined;
  resultCount: number;
  checkpoints: CheckpointRecord[];
  error?: string;
  stoppedBy?: string;
  startedAt?: number;
  endedAt?: number;
  /** Checkpoint the last start restored from. */
  restore?: string;
  /** training_iteration the last start resumed at (results since = iteration - startIteration). */
  startIteration?: number;
  /** Where the running attempt's process is, for remote executors (cleared when it ends). */
  handle?: TrialHandle;
  pid?: number;
  /** Best value of the experiment's metric, when metric and mode are known. */
  best?: number;
}

export interface ExperimentState {
  name: string;
  seed: number;
  configPath: string;
  metric?: string;
  mode?: "min" | "max";
  /** Short id the runner puts in trial ids. */
  runId?: string;
  createdAt?: number;
  /** Timestamp of the last event applied. */
  updatedAt?: number;
  /** Trials in creation order. */
  trials: TrialState[];
  /** Trial id → position in `trials`. */
  positions: Map<string, number>;
  searcher?: unknown;
  scheduler?: unknown;
  finished?: { outcome: ExperimentOutcome; message?: string; ts: number };
  resumes: number;
  eventCount: number;
  /** Events that could not be applied (unknown trial id), with their 0-based event number. */
  warnings: string[];
}

/** A state with no events applied. */
export function emptyState(): ExperimentState {
  return { name: "", seed: 0, configPath: "", trials: [], positions: new Map(), resumes: 0, eventCount: 0, warnings: [] };
}

/** Rebuilds the state from a whole journal. */
export function replay(events: Iterable<JournalEvent>): ExperimentState {
  const state = emptyState();
  for (const event of events) applyEventInPlace(state, event);
  return state;
}

/** The trial with `id`, if any. */
export function getTrial(state: ExperimentState, id: string): TrialState | undefined {
  const pos = state.positions.get(id);
  return pos === undefined ? undefined : state.trials[pos];
}

/** Trials RUNNING when the journal ends: their runner died (or is still alive). */
export function interruptedTrials(state: ExperimentState): TrialState[] {
  return state.trials.filter((t) => t.status === "RUNNING");
}

/** How many trials are in each status. */
export function countByStatus(state: ExperimentState): Record<TrialStatus, number> {
  const counts: Record<TrialStatus, number> = { PENDING: 0, RUNNING: 0, PAUSED: 0, TERMINATED: 0, ERROR: 0 };
  for (const t of state.trials) counts[t.status]++;
  return counts;
}

/**
 * Returns a new state with `event` applied, leaving `state` untouched. Copies
 * the trial list and the one trial the event touches, so old states stay valid
 * (a UI can diff them); use `applyEventInPlace` when nobody keeps the old one.
 */
export function applyEvent(state: ExperimentState, event: JournalEvent): ExperimentState {
  const next: ExperimentState = { ...state, trials: state.trials.slice(), warnings: state.warnings.slice() };
  if (event.t === "trial") next.positions = new Map(state.positions);
  if ("id" in event) {
    const pos = state.positions.get(event.id);
    const old = pos === undefined ? undefined : state.trials[pos];
    if (pos !== undefined && old) next.trials[pos] = { ...old, checkpoints: old.checkpoints.slice() };
  }
  return applyEventInPlace(next, event);
}

/** Applies `event` by mutating `state` (which it returns). Unknown event kinds are ignored for forward compatibility. */
export function applyEventInPlace(state: ExperimentState, event: JournalEvent): ExperimentState {
  const n = state.eventCount++;
  state.updatedAt = event.ts;
  switch (event.t) {
    case "experiment":
      state.name = event.name;
      state.seed = event.seed;
      state.configPath = event.configPath;
      state.metric = event.metric;
      state.mode = event.mode;
      state.runId = event.runId;
      state.createdAt ??= event.ts;
      return state;
    case "resume":
      state.resumes++;
      return state;
    case "trial":
      addTrial(state, event, n);
      return state;
    case "searcher":
      state.searcher = event.state;
      return state;
    case "scheduler":
      state.scheduler = event.state;
      return state;
    case "finished":
      state.finished = event.message === undefined ? { outcome: event.outcome, ts: event.ts } : { outcome: event.outcome, message: event.message, ts: event.ts };
      return state;
    default:
      break;
  }
  if (!("id" in event)) return state; // a kind this version does not know
  const trial = getTrial(state, event.id);
  if (!trial) {
    state.warnings.push(`event ${n} (${event.t}) names unknown trial ${event.id}`);
    return state;
  }
  switch (event.t) {
    case "start":
      trial.status = "RUNNING";
      trial.attempts++;
      trial.iteration = event.iteration;
      trial.startedAt ??= event.ts;
      trial.endedAt = undefined;
      trial.stoppedBy = undefined;
      trial.restore = event.restore;
      trial.pid = event.pid;
      trial.startIteration = event.iteration;
      trial.handle = undefined;
      break;
    case "handle":
      trial.handle = event.handle;
      break;
    case "result":
      applyResult(state, trial, event.r);
      break;
    case "checkpoint": {
      const record: CheckpointRecord = event.score === undefined ? { iteration: event.iteration, path: event.path } : { iteration: event.iteration, path: event.path, score: event.score };
      // A restarted trial may persist the same iteration again: the dir was replaced, so is the record.
      const at = trial.checkpoints.findIndex((c) => c.path === event.path);
      if (at >= 0) trial.checkpoints[at] = record;
      else trial.checkpoints.push(record);
      break;
    }
    case "checkpoint_removed": {
      const at = trial.checkpoints.findIndex((c) => c.path === event.path);
      if (at >= 0) trial.checkpoints.splice(at, 1);
      break;
    }
    case "config":
      trial.config = event.config;
      if (event.checkpoint !== undefined && event.iteration !== undefined) {
        const copied: CheckpointRecord = { iteration: event.iteration, path: event.checkpoint };
        const at = trial.checkpoints.findIndex((c) => c.path === event.checkpoint);
        if (at >= 0) trial.checkpoints[at] = copied;
        else trial.checkpoints.push(copied);
      }
      break;
    case "resources":
      trial.resources = event.resources;
      break;
    case "end":
      if (event.error !== undefined) trial.error = event.error;
      if (event.stoppedBy !== undefined) trial.stoppedBy = event.stoppedBy;
      trial.pid = undefined;
      trial.handle = undefined;
      if (event.retry) {
        trial.status = "PENDING";
        if (!event.notCounted) trial.failures++;
        break;
      }
      trial.status = event.status;
      if (event.status === "ERROR") trial.failures++;
      if (event.status !== "PAUSED") trial.endedAt = event.ts;
      break;
  }
  return state;
}

function addTrial(state: ExperimentState, event: Extract<JournalEvent, { t: "trial" }>, n: number): void {
  if (state.positions.has(event.id)) {
    state.warnings.push(`event ${n} (trial) repeats trial ${event.id}; the first one is kept`);
    return;
  }
  state.positions.set(event.id, state.trials.length);
  state.trials.push({
    id: event.id,
    index: event.index,
    config: event.config,
    resources: event.resources,
    status: "PENDING",
    attempts: 0,
    failures: 0,
    iteration: 0,
    lastResult: undefined,
    resultCount: 0,
    checkpoints: [],
  });
}

function applyResult(state: ExperimentState, trial: TrialState, r: Result): void {
  trial.lastResult = r;
  trial.resultCount++;
  trial.iteration = typeof r.training_iteration === "number" ? r.training_iteration : trial.iteration + 1;
  if (state.metric === undefined || state.mode === undefined) return;
  const value = r[state.metric];
  if (typeof value !== "number" || Number.isNaN(value)) return;
  if (trial.best === undefined || (state.mode === "max" ? value > trial.best : value < trial.best)) trial.best = value;
}
