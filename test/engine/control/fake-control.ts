/** An in-memory RunnerControl that keeps the contract's rules, so the server is tested without a runner. */
import type { Result, TrialConfig, TrialStatus } from "../../../src/engine/interfaces.ts";
import type { ControlEvent, ControlOutcome, ExperimentSummary, RunnerControl, TrialSummary } from "../../../src/engine/control/types.ts";
import type { Space } from "../../../src/engine/space/domains.ts";
import { formatDiagnostic } from "../../../src/engine/space/diagnostics.ts";
import { validatePoint } from "../../../src/engine/space/validate-point.ts";

const STATUSES: TrialStatus[] = ["PENDING", "RUNNING", "PAUSED", "TERMINATED", "ERROR"];

export class FakeControl implements RunnerControl {
  readonly trials = new Map<string, TrialSummary>();
  private readonly listeners = new Set<(event: ControlEvent) => void>();
  private status: ExperimentSummary["status"] = "running";
  private next = 0;
  /** Set to make every call throw, as a runner bug would. */
  failWith: Error | undefined;

  constructor(private readonly space: Space, readonly expDir = "/tmp/exp") {}

  experiment(): ExperimentSummary {
    this.maybeFail();
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<TrialStatus, number>;
    for (const t of this.trials.values()) counts[t.status] += 1;
    return { name: "fake", expDir: this.expDir, metric: "loss", mode: "min", status: this.status, startedAt: 0, counts };
  }

  listTrials(): TrialSummary[] {
    this.maybeFail();
    return [...this.trials.values()];
  }

  getTrial(id: string): TrialSummary | undefined {
    this.maybeFail();
    return this.trials.get(id);
  }

  addTrial(config: TrialConfig): ControlOutcome<{ id: string }> {
    this.maybeFail();
    const diagnostics = validatePoint(this.space, config);
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0) return { ok: false, status: 400, message: `the config does not fit the search space: ${errors.map(formatDiagnostic).join("; ")}`, diagnostics };
    const id = `t${String(this.next++).padStart(5, "0")}`;
    const trial: TrialSummary = { id, status: "PENDING", config, iteration: 0, lastResult: undefined, checkpoints: [] };
    this.trials.set(id, trial);
    this.emit({ type: "trial_added", trial });
    return { ok: true, value: { id } };
  }

  start(id: string): void {
    const t = this.trials.get(id);
    if (t) t.status = "RUNNING";
    this.emit({ type: "trial_started", trialId: id, attempt: 1 });
  }

  report(id: string, result: Result): void {
    const t = this.trials.get(id);
    if (t) [t.lastResult, t.iteration] = [result, t.iteration + 1];
    this.emit({ type: "result", trialId: id, result });
  }

  stopTrial(id: string): ControlOutcome {
    const t = this.trials.get(id);
    if (!t) return { ok: false, status: 404, message: `no trial "${id}"` };
    if (t.status === "TERMINATED" || t.status === "ERROR") return { ok: false, status: 409, message: `trial ${id} already ended (${t.status})` };
    t.status = "TERMINATED";
    this.emit({ type: "trial_ended", trialId: id, status: "TERMINATED", detail: "stopped through the control API" });
    return { ok: true };
  }

  pauseTrial(id: string): ControlOutcome {
    const t = this.trials.get(id);
    if (!t) return { ok: false, status: 404, message: `no trial "${id}"` };
    if (t.status !== "RUNNING") return { ok: false, status: 409, message: `trial ${id} is ${t.status}, only a RUNNING trial can be paused` };
    t.status = "PAUSED";
    return { ok: true };
  }

  resumeTrial(id: string): ControlOutcome {
    const t = this.trials.get(id);
    if (!t) return { ok: false, status: 404, message: `no trial "${id}"` };
    if (t.status !== "PAUSED") return { ok: false, status: 409, message: `trial ${id} is ${t.status}, only a PAUSED trial can be resumed` };
    t.status = "PENDING";
    return { ok: true };
  }

  stopExperiment(): ControlOutcome {
    if (this.status !== "running") return { ok: false, status: 409, message: `the experiment is already ${this.status}` };
    this.status = "stopping";
    return { ok: true };
  }

  subscribe(listener: (event: ControlEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ControlEvent): void {
    if (event.type === "experiment_ended") this.status = "finished";
    for (const l of this.listeners) l(event);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  private maybeFail(): void {
    if (this.failWith) throw this.failWith;
  }
}
