/**
 * What each tree row shows, as pure functions of the experiment state, so
 * labels, icons and descriptions are tested without a workbench.
 */
import type { TrialState } from "../../engine/store/state.ts";
import type { RemoteCheckpointRef } from "../../engine/store/checkpoints.ts";
import type { Experiment, ExperimentPhase } from "../model/experiment.ts";

export type TreeNode =
  | { kind: "experiment"; exp: Experiment }
  | { kind: "trial"; exp: Experiment; id: string }
  | { kind: "checkpoint"; exp: Experiment; trialId: string; path: string; iteration: number; score?: number; remote?: RemoteCheckpointRef }
  /** `host` set: a file on that ssh host (under a remote checkpoint), read through the tunelab-remote: file system. */
  | { kind: "file"; exp: Experiment; path: string; isDir: boolean; host?: string }
  /** Why a row has no children (e.g. a remote checkpoint in Restricted Mode). */
  | { kind: "message"; exp: Experiment; text: string; tooltip?: string };

/** `0.9777`, `1.29e-6`: short, but never hiding the significant digits. */
export function formatNumber(v: unknown): string {
  if (typeof v !== "number") return String(v);
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e6) ? v.toExponential(2) : String(Number(v.toPrecision(4)));
}

export function experimentDescription(exp: Experiment, phase: ExperimentPhase): string {
  const s = exp.state;
  const done = s.trials.filter((t) => t.status === "TERMINATED" || t.status === "ERROR").length;
  const running = s.trials.filter((t) => t.status === "RUNNING").length;
  const errors = s.trials.filter((t) => t.status === "ERROR").length;
  const parts = [phase, `${done}/${s.trials.length} done`];
  if (running) parts.push(`${running} running`);
  if (errors) parts.push(`${errors} errored`);
  const best = exp.bestTrial();
  if (best && s.metric) parts.push(`best ${s.metric}=${formatNumber(best.best)}`);
  return parts.join(" · ");
}

export function trialDescription(trial: TrialState, metric: string | undefined): string {
  const parts = [trial.status.toLowerCase()];
  const value = metric ? trial.lastResult?.[metric] : undefined;
  if (metric && value !== undefined) parts.push(`${metric}=${formatNumber(value)}`);
  if (trial.iteration) parts.push(`iter ${trial.iteration}`);
  if (trial.error) parts.push(trial.error.split("\n")[0]!.slice(0, 80));
  return parts.join(" · ");
}

/** A codicon id per trial status. */
export function trialIcon(trial: TrialState): { id: string; color?: string } {
  switch (trial.status) {
    case "RUNNING":
      return { id: "sync~spin", color: "charts.blue" };
    case "TERMINATED":
      return { id: "pass", color: "testing.iconPassed" };
    case "ERROR":
      return { id: "error", color: "testing.iconFailed" };
    case "PAUSED":
      return { id: "debug-pause" };
    default:
      return { id: "clock" };
  }
}

export function phaseIcon(phase: ExperimentPhase): string {
  return phase === "running" ? "loading~spin" : phase === "finished" ? "beaker" : "debug-disconnect";
}

/** The config as an indented block for the tooltip, long values cut. */
export function configTooltip(trial: TrialState): string {
  const lines = Object.entries(trial.config).map(([k, v]) => `${k}: ${JSON.stringify(v)?.slice(0, 120)}`);
  return lines.join("\n");
}
