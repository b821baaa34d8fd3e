/**
 * A fake runner on a simulated clock: trials follow synthetic learning curves
 * and decisions are carried out as the runner's contract says (STOP, PAUSE
 * and resume from the latest checkpoint, EXPLOIT copies the donor's latest
 * checkpoint and replaces the config, RESOURCES restarts, takeActions drained
 * after every event). Scheduler tests run in milliseconds.
 */
import type { Clock, Decision, Result, Scheduler, TrialConfig, TrialStatus, TrialView } from "../../../src/engine/interfaces.ts";

/** One training step: the model state after the step and the metric it reports. */
export type Curve = (config: TrialConfig, state: number, iteration: number) => { state: number; metric: number };

export class SimTrial implements TrialView {
  status: TrialStatus = "PENDING";
  lastResult: Result | undefined;
  iteration = 0;
  /** iteration → model state saved there. */
  checkpoints = new Map<number, number>();
  state = 0;
  nextAt = 0;
  timeTotal = 0;
  starts = 0;
  constructor(readonly id: string, readonly index: number, public config: TrialConfig, public resources: { cpu: number; gpu: number }) {}
  get checkpointIteration(): number | undefined {
    return this.checkpoints.size ? Math.max(...this.checkpoints.keys()) : undefined;
  }
}

export interface LogEntry {
  at: number;
  trialId: string;
  iteration: number;
  decision: Decision;
  /** "result" (returned by onTrialResult) or "action" (from takeActions). */
  via: "result" | "action";
}

export interface SimOptions {
  scheduler: Scheduler;
  configs: readonly TrialConfig[];
  curve: Curve;
  metric?: string;
  mode?: "min" | "max";
  /** The stopper: a trial ends TERMINATED after this many iterations (the scheduler does not see that result, as in the runner). */
  maxIterations: number;
  concurrency: number;
  seed?: number;
  secondsPerIteration?: (config: TrialConfig) => number;
  checkpointEvery?: number;
  /** A trial errors instead of reporting this iteration. */
  failAt?: (config: TrialConfig) => number | undefined;
  resources?: { cpu: number; gpu: number };
  capacity?: { cpu: number; gpu: number };
  /** After this many results, save → JSON → restore into `fresh()` and go on with it (resume-safety). */
  restoreAfter?: number;
  fresh?: () => Scheduler;
  /** Extra metrics for each result (e.g. a second time attribute). */
  extra?: (trial: SimTrial) => Record<string, unknown>;
}

export interface SimOutcome {
  trials: SimTrial[];
  log: LogEntry[];
  /** Decisions about trials the scheduler was never told about, or other contract breaks. */
  violations: string[];
  /** Trials left waiting forever when nothing could run. */
  stuck: string[];
  /** Simulated seconds until the last trial ended. */
  wallS: number;
  iterations: number;
  scheduler: Scheduler;
}

export function simulate(o: SimOptions): SimOutcome {
  let scheduler = o.scheduler;
  const metric = o.metric ?? "score";
  let now = 0;
  const clock: Clock = { now: () => now * 1000 };
  const ctx = { metric, mode: o.mode ?? "max", seed: o.seed ?? 1, clock, capacity: o.capacity };
  scheduler.setup(ctx);
  const trials: SimTrial[] = [];
  const byId = new Map<string, SimTrial>();
  const log: LogEntry[] = [];
  const violations: string[] = [];
  let next = 0;
  let results = 0;
  let iterations = 0;
  const every = o.checkpointEvery ?? 1;
  const perIter = o.secondsPerIteration ?? (() => 1);
  const running = (): SimTrial[] => trials.filter((t) => t.status === "RUNNING");
  const waiting = (): SimTrial[] => trials.filter((t) => t.status === "PENDING" || t.status === "PAUSED");

  const start = (t: SimTrial): void => {
    t.status = "RUNNING";
    t.starts += 1;
    const ck = t.checkpointIteration;
    t.iteration = ck ?? 0;
    t.state = ck === undefined ? 0 : (t.checkpoints.get(ck) as number);
    t.nextAt = now + perIter(t.config);
  };
  const end = (t: SimTrial, status: "TERMINATED" | "ERROR"): void => {
    t.status = status;
    if (status === "ERROR") scheduler.onTrialError(t);
    else scheduler.onTrialComplete(t, t.lastResult);
  };
  const apply = (t: SimTrial, d: Decision, via: LogEntry["via"]): void => {
    log.push({ at: now, trialId: t.id, iteration: t.iteration, decision: d, via });
    if (d === "CONTINUE") return;
    if (d === "STOP") {
      if (t.status === "RUNNING") end(t, "TERMINATED");
      else if (t.status === "PAUSED" || t.status === "PENDING") {
        t.status = "TERMINATED";
        scheduler.onTrialRemove(t);
      }
      return;
    }
    if (d === "PAUSE") {
      if (t.status === "RUNNING") t.status = "PAUSED";
      return;
    }
    if (t.status === "TERMINATED" || t.status === "ERROR") {
      violations.push(`${d.kind} for finished trial ${t.id}`);
      return;
    }
    if (t.status === "RUNNING") t.status = "PAUSED";
    if (d.kind === "EXPLOIT") {
      const donor = byId.get(d.donorId);
      if (!donor) {
        violations.push(`EXPLOIT from unknown donor ${d.donorId}`);
        return;
      }
      const ck = donor.checkpointIteration;
      if (donor !== t) {
        if (ck === undefined) violations.push(`EXPLOIT from donor ${donor.id} without a checkpoint`);
        else t.checkpoints = new Map([[ck, donor.checkpoints.get(ck) as number]]);
      }
      t.config = structuredClone(d.config);
    } else {
      t.resources = { ...d.resources };
    }
  };
  const drain = (): void => {
    for (const a of scheduler.takeActions?.() ?? []) {
      const t = byId.get(a.trialId);
      if (!t) violations.push(`action for unknown trial ${a.trialId}`);
      else apply(t, a.decision, "action");
    }
  };
  const fill = (): void => {
    let idleAsks = 0;
    while (running().length < o.concurrency) {
      const w = waiting().sort((a, b) => a.index - b.index);
      let chosen = w.length ? (scheduler.chooseTrialToRun(w) as SimTrial | null) : null;
      drain();
      if (chosen && !w.includes(chosen)) {
        violations.push(`chooseTrialToRun returned ${chosen.id}, not a candidate`);
        chosen = null;
      }
      if (chosen && chosen.status !== "PENDING" && chosen.status !== "PAUSED") chosen = null; // an action just ended it
      if (!chosen && next < o.configs.length) {
        const t = new SimTrial(`t${String(next).padStart(3, "0")}`, next, structuredClone(o.configs[next] as TrialConfig), { ...(o.resources ?? { cpu: 1, gpu: 0 }) });
        next += 1;
        trials.push(t);
        byId.set(t.id, t);
        scheduler.onTrialAdd(t);
        drain();
        chosen = t.status === "PENDING" ? t : null;
      }
      if (!chosen) {
        // The runner asks the scheduler once more when the searcher had nothing and nothing runs.
        if (running().length === 0 && waiting().length > 0 && idleAsks++ < 2) continue;
        break;
      }
      start(chosen);
    }
  };

  fill();
  for (;;) {
    const live = running().sort((a, b) => a.nextAt - b.nextAt || a.index - b.index);
    const t = live[0];
    if (!t) break;
    now = t.nextAt;
    const it = t.iteration + 1;
    if (o.failAt?.(t.config) === it) {
      end(t, "ERROR");
      drain();
      fill();
      continue;
    }
    const step = o.curve(t.config, t.state, it);
    iterations += 1;
    t.iteration = it;
    t.state = step.state;
    t.timeTotal += perIter(t.config);
    if (it % every === 0) t.checkpoints.set(it, t.state);
    const result: Result = { training_iteration: it, time_total_s: t.timeTotal, [metric]: step.metric, trial_id: t.id, ...(o.extra?.(t) ?? {}) };
    if (it >= o.maxIterations) {
      result.done = true;
      t.lastResult = result;
      end(t, "TERMINATED");
    } else {
      const d = scheduler.onTrialResult(t, result);
      t.lastResult = result;
      apply(t, d, "result");
      if (t.status === "RUNNING") t.nextAt = now + perIter(t.config);
    }
    results += 1;
    drain();
    if (o.restoreAfter !== undefined && results === o.restoreAfter && o.fresh) {
      const state: unknown = JSON.parse(JSON.stringify(scheduler.save()));
      scheduler = o.fresh();
      scheduler.setup(ctx);
      scheduler.restore(state);
      for (const tr of trials) scheduler.onTrialAdd(tr);
    }
    fill();
  }
  const stuck = waiting().map((t) => t.id);
  return { trials, log, violations, stuck, wallS: now, iterations, scheduler };
}

/** Decisions other than CONTINUE, as "trial@iteration:DECISION" strings, for comparing runs. */
export function decisionTrace(log: readonly LogEntry[]): string[] {
  return log.filter((e) => e.decision !== "CONTINUE").map((e) =>
    `${e.trialId}@${e.iteration}:${typeof e.decision === "string" ? e.decision : `${e.decision.kind}${JSON.stringify(e.decision)}`}`);
}
