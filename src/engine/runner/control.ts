/** The runner seen through the control API contract (src/engine/control/types.ts). */
import type { ControlEvent, ControlOutcome, ExperimentSummary, RunnerControl, TrialSummary } from "../control/types.ts";
import type { TuneConfig } from "../config.ts";
import type { TrialConfig, TrialStatus, TrialView } from "../interfaces.ts";
import type { Runner } from "../runner.ts";
import { validatePoint } from "../space/validate-point.ts";
import { formatDiagnostic } from "../space/validate.ts";
import type { Trial } from "./trial.ts";
import { isDomain } from "../space/domains.ts";
import { isPlainObject } from "../space/variants.ts";

function summary(view: TrialView): TrialSummary {
  const t = view as Trial;
  return {
    id: t.id, status: t.status, config: t.config, iteration: t.iteration, lastResult: t.lastResult,
    ...(t.error ? { error: t.error } : {}), ...(t.stoppedBy ? { stoppedBy: t.stoppedBy } : {}),
    checkpoints: t.checkpoints.map((c) => ({ ...c })),
  };
}

/** The space's constants that `config` leaves out, filled in (a user adding a trial names only what varies). */
export function fillConstants(space: unknown, config: unknown): unknown {
  if (!isPlainObject(space) || isDomain(space) || !isPlainObject(config)) return config;
  const out: Record<string, unknown> = { ...config };
  for (const [key, value] of Object.entries(space)) {
    if (key in out) out[key] = fillConstants(value, out[key]);
    else if (!containsDomain(value)) out[key] = value;
  }
  return out;
}

function containsDomain(value: unknown): boolean {
  if (isDomain(value)) return true;
  if (Array.isArray(value)) return value.some(containsDomain);
  return isPlainObject(value) && Object.values(value).some(containsDomain);
}

const notFound = (id: string): ControlOutcome => ({ ok: false, status: 404, message: `no trial ${id} in this experiment` });

export class RunnerControlAdapter implements RunnerControl {
  private readonly listeners = new Set<(e: ControlEvent) => void>();

  constructor(private readonly runner: Runner, private readonly config: TuneConfig, private readonly expDir: string) {
    const emit = (e: ControlEvent): void => {
      for (const l of this.listeners) l(e);
    };
    runner.addCallbacks({
      onTrialAdd: (t) => emit({ type: "trial_added", trial: summary(t) }),
      onTrialStart: (t, attempt) => emit({ type: "trial_started", trialId: t.id, attempt }),
      onTrialResult: (t, result) => emit({ type: "result", trialId: t.id, result }),
      onTrialEnd: (t, status, detail) => emit({ type: "trial_ended", trialId: t.id, status, ...(detail ? { detail } : {}) }),
      onExperimentEnd: (s) => emit({ type: "experiment_ended", outcome: s.outcome, ...(s.message ? { message: s.message } : {}) }),
    });
  }

  experiment(): ExperimentSummary {
    const counts: Record<TrialStatus, number> = { PENDING: 0, RUNNING: 0, PAUSED: 0, TERMINATED: 0, ERROR: 0 };
    for (const t of this.runner.trialViews) counts[t.status] += 1;
    const total = this.runner.total;
    const { startedAt, status } = this.runner.phase;
    return {
      name: this.config.name ?? "experiment", expDir: this.expDir, status, startedAt, counts,
      ...(this.config.metric ? { metric: this.config.metric } : {}), ...(this.config.mode ? { mode: this.config.mode } : {}),
      ...(total !== undefined ? { total } : {}),
    };
  }

  listTrials(): TrialSummary[] {
    return this.runner.trialViews.map(summary);
  }

  getTrial(id: string): TrialSummary | undefined {
    const t = this.runner.findTrial(id);
    return t ? summary(t) : undefined;
  }

  addTrial(given: TrialConfig): ControlOutcome<{ id: string }> {
    const config = fillConstants(this.config.space ?? {}, given) as TrialConfig;
    const diagnostics = validatePoint(this.config.space ?? {}, config);
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (errors.length) {
      return { ok: false, status: 400, message: `the config does not fit the search space: ${errors.map(formatDiagnostic).join("; ")}`, diagnostics };
    }
    if (this.runner.phase.status !== "running") return { ok: false, status: 409, message: "the experiment is stopping; no trial can be added" };
    return { ok: true, value: { id: this.runner.addTrial(config).id } };
  }

  stopTrial(id: string): ControlOutcome {
    const t = this.runner.findTrial(id);
    if (!t) return notFound(id);
    if (t.finished) return { ok: false, status: 409, message: `trial ${id} already ended (${t.status})` };
    this.runner.stopTrial(t);
    return { ok: true };
  }

  pauseTrial(id: string): ControlOutcome {
    const t = this.runner.findTrial(id);
    if (!t) return notFound(id);
    if (t.status !== "RUNNING") return { ok: false, status: 409, message: `trial ${id} is ${t.status}, not RUNNING` };
    if (!t.latestCheckpoint()) return { ok: false, status: 409, message: `trial ${id} has no checkpoint yet: pausing would lose its progress` };
    this.runner.pauseTrial(t);
    return { ok: true };
  }

  resumeTrial(id: string): ControlOutcome {
    const t = this.runner.findTrial(id);
    if (!t) return notFound(id);
    if (!t.userPaused) return { ok: false, status: 409, message: `trial ${id} was not paused by the user (${t.status})` };
    this.runner.resumeTrial(t);
    return { ok: true };
  }

  stopExperiment(): ControlOutcome {
    if (this.runner.phase.status !== "running") return { ok: false, status: 409, message: `the experiment is already ${this.runner.phase.status}` };
    this.runner.stop("stopped through the control API");
    return { ok: true };
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
