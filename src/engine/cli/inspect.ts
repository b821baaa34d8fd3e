/** Read-only CLI commands over experiment dirs: ls, status, best, export, stop. */
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Mode } from "../config.ts";
import { readJournal } from "../store/journal.ts";
import { countByStatus, replay, type ExperimentState, type TrialState } from "../store/state.ts";
import { readExperimentJson } from "../store/experiment-dir.ts";
import { ExitCode } from "./exit-codes.ts";
import { flatten, formatValue, table } from "./format.ts";
import { bestTrial, trialTable } from "./progress.ts";
import { describeCheckpoint } from "./checkpoint.ts";

async function load(dir: string): Promise<ExperimentState | undefined> {
  const abs = resolve(dir);
  if (!existsSync(join(abs, "events.jsonl"))) {
    process.stderr.write(`tunelab: ${abs} is not an experiment dir (no events.jsonl)\n`);
    return undefined;
  }
  return replay((await readJournal(abs)).events);
}

/** running / completed / interrupted, from the journal and whether the runner still lives. */
export function experimentStatus(dir: string, state: ExperimentState): string {
  if (state.finished) return state.finished.outcome;
  const pid = (readExperimentJson(dir) as { runnerPid?: number } | undefined)?.runnerPid;
  return pid && isAlive(pid) ? "running" : "interrupted";
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function lsCommand(storage: string, json: boolean): Promise<ExitCode> {
  const root = resolve(storage);
  if (!existsSync(root)) {
    process.stderr.write(`tunelab: no storage dir at ${root}\n`);
    return ExitCode.NotFound;
  }
  const rows: Record<string, unknown>[] = [];
  for (const name of readdirSync(root).sort()) {
    const dir = join(root, name);
    if (!statSync(dir).isDirectory() || !existsSync(join(dir, "events.jsonl"))) continue;
    const state = replay((await readJournal(dir)).events);
    const counts = countByStatus(state);
    const best = bestOf(state.trials, state.metric, state.mode);
    rows.push({
      dir, name: state.name, status: experimentStatus(dir, state), trials: state.trials.length, ...counts,
      metric: state.metric ?? null, best: best && state.metric ? best.lastResult?.[state.metric] ?? null : null,
    });
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write(`no experiments in ${root}\n`);
  else {
    process.stdout.write(`${table(["experiment", "status", "trials", "done", "errors", "best"],
      rows.map((r) => [String(r.dir).slice(root.length + 1), String(r.status), String(r.trials), String(r.TERMINATED),
        String(r.ERROR), r.metric ? `${String(r.metric)}=${formatValue(r.best)}` : ""]), 60)}\n`);
  }
  return ExitCode.Ok;
}

function bestOf(trials: readonly TrialState[], metric: string | undefined, mode: Mode | undefined): TrialState | undefined {
  return bestTrial(trials, metric, mode);
}

export async function statusCommand(dir: string, json: boolean): Promise<ExitCode> {
  const state = await load(dir);
  if (!state) return ExitCode.NotFound;
  const status = experimentStatus(resolve(dir), state);
  if (json) {
    process.stdout.write(`${JSON.stringify({
      name: state.name, status, metric: state.metric, mode: state.mode, counts: countByStatus(state),
      trials: state.trials.map((t) => ({ id: t.id, status: t.status, iteration: t.iteration, config: t.config, last: t.lastResult, error: t.error })),
    }, null, 2)}\n`);
    return ExitCode.Ok;
  }
  const counts = Object.entries(countByStatus(state)).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s.toLowerCase()}`).join(", ");
  process.stdout.write(`${state.name}: ${status}; ${state.trials.length} trials (${counts})\n${trialTable(state.trials, state.metric)}\n`);
  for (const t of state.trials.filter((x) => x.status === "ERROR")) {
    process.stdout.write(`\n${t.id} failed: ${(t.error ?? "").split("\n").slice(0, 3).join("\n  ")}\n`);
  }
  return ExitCode.Ok;
}

export async function bestCommand(dir: string, o: { metric?: string; mode?: string; json?: boolean }): Promise<ExitCode> {
  const state = await load(dir);
  if (!state) return ExitCode.NotFound;
  const metric = o.metric ?? state.metric;
  const mode = (o.mode ?? state.mode) as Mode | undefined;
  if (!metric || (mode !== "min" && mode !== "max")) {
    process.stderr.write("tunelab: the experiment has no metric/mode; pass --metric NAME --mode min|max\n");
    return ExitCode.BadInput;
  }
  const best = bestOf(state.trials, metric, mode);
  if (!best) {
    process.stderr.write(`tunelab: no trial has reported ${metric} yet\n`);
    return ExitCode.NotFound;
  }
  if (o.json) process.stdout.write(`${JSON.stringify(best.config, null, 2)}\n`);
  else {
    process.stdout.write(`Best trial ${best.id} (${best.status}, iteration ${best.iteration}): ${metric}=${formatValue(best.lastResult?.[metric])}\n`);
    process.stdout.write(`Config: ${JSON.stringify(best.config, null, 2)}\n`);
    const ckpt = best.checkpoints.at(-1);
    if (ckpt) process.stdout.write(`Latest checkpoint: ${describeCheckpoint(resolve(dir), join(resolve(dir), ckpt.path))}\n`);
  }
  return ExitCode.Ok;
}

/** One row per trial: id, status, iteration, config/*, then the last result's metrics. */
export function exportRows(state: ExperimentState): Record<string, unknown>[] {
  return state.trials.map((t) => {
    const { config: _config, ...last } = (t.lastResult ?? {}) as Record<string, unknown>;
    return { trial_id: t.id, status: t.status, ...flatten({ config: t.config }), ...flatten(last), error: t.error?.split("\n")[0] ?? "" };
  });
}

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null ? "" : typeof v === "string" ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export async function exportCommand(dir: string, o: { format: string; output?: string }): Promise<ExitCode> {
  if (o.format !== "csv" && o.format !== "json") {
    process.stderr.write(`tunelab: --format must be csv or json, got "${o.format}"\n`);
    return ExitCode.BadInput;
  }
  const state = await load(dir);
  if (!state) return ExitCode.NotFound;
  const rows = exportRows(state);
  let text: string;
  if (o.format === "json") text = `${JSON.stringify(rows, null, 2)}\n`;
  else {
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    text = [keys.map(csvCell).join(","), ...rows.map((r) => keys.map((k) => csvCell(r[k])).join(","))].join("\n") + "\n";
  }
  if (o.output) writeFileSync(o.output, text);
  else process.stdout.write(text);
  return ExitCode.Ok;
}

export async function stopCommand(dir: string): Promise<ExitCode> {
  const abs = resolve(dir);
  const pid = (readExperimentJson(abs) as { runnerPid?: number } | undefined)?.runnerPid;
  if (!pid || !isAlive(pid)) {
    process.stderr.write(`tunelab: no runner is running for ${abs}\n`);
    return ExitCode.NotFound;
  }
  process.kill(pid, "SIGTERM");
  process.stdout.write(`asked runner ${pid} to stop; its trials can be resumed with \`tunelab resume ${abs}\`\n`);
  return ExitCode.Ok;
}
