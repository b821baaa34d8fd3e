/**
 * Reads a Ray Tune result directory (experiment_state-*.json next to trial
 * dirs holding params.json, result.json, progress.csv and checkpoint_*) into
 * the same ExperimentState the Tunelab journal replays to, so the tree and
 * the dashboard show both alike. Read once: Ray's dirs are finished results.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { TrialStatus } from "../../engine/interfaces.ts";
import { emptyState, type ExperimentState, type TrialState } from "../../engine/store/state.ts";

/** True when `dir` looks like a Ray Tune experiment dir. */
export function isRayTuneDir(dir: string): boolean {
  try {
    return readdirSync(dir).some((n) => /^experiment_state-.*\.json$/.test(n));
  } catch {
    return false;
  }
}

/** The state of a Ray Tune experiment dir; trial dirs that cannot be read become ERROR trials that say why. */
export function readRayTuneDir(dir: string): ExperimentState {
  const state = emptyState();
  state.name = basename(dir);
  const stateFile = readdirSync(dir).filter((n) => /^experiment_state-.*\.json$/.test(n)).sort().pop();
  const text = stateFile ? safeRead(join(dir, stateFile)) : "";
  // Ray stores nested JSON strings; a lenient match reads metric/mode without knowing its version's schema.
  const metric = /\\?"metric\\?":\s*\\?"([^"\\]+)\\?"/.exec(text)?.[1];
  const mode = /\\?"mode\\?":\s*\\?"(min|max)\\?"/.exec(text)?.[1] as "min" | "max" | undefined;
  if (metric) state.metric = metric;
  if (mode) state.mode = mode;
  const statuses = trialStatuses(text);
  const trialDirs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && existsSync(join(dir, e.name, "params.json")));
  trialDirs.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of trialDirs) addTrial(state, dir, entry.name, statuses);
  state.finished = { outcome: "completed", ts: state.updatedAt ?? 0 };
  return state;
}

function addTrial(state: ExperimentState, dir: string, name: string, statuses: Map<string, TrialStatus>): void {
  const trialDir = join(dir, name);
  // Ray names trial dirs `<trainable>_<trial_id>_<n>_<params>`; the id is the part with a 5-digit counter.
  const id = /_([0-9a-f]{5}_\d{5})_/.exec(name)?.[1] ?? name;
  let config = {};
  let error: string | undefined;
  try {
    config = JSON.parse(readFileSync(join(trialDir, "params.json"), "utf8")) as object;
  } catch (e) {
    error = `${join(trialDir, "params.json")}: ${(e as Error).message}`;
  }
  const lines = safeRead(join(trialDir, "result.json")).split("\n").filter((l) => l.trim() !== "");
  let last: Record<string, unknown> | undefined;
  let best: number | undefined;
  for (const line of lines) {
    try {
      last = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a torn last line of a crashed Ray run
    }
    const v = state.metric ? last[state.metric] : undefined;
    if (typeof v === "number" && !Number.isNaN(v) && (best === undefined || (state.mode === "min" ? v < best : v > best))) best = v;
  }
  const errorFile = safeRead(join(trialDir, "error.txt"));
  const checkpoints = readdirSync(trialDir)
    .filter((n) => /^checkpoint_\d+$/.test(n))
    .sort()
    .map((n) => ({ iteration: Number(n.slice("checkpoint_".length)), path: `${name}/${n}` }));
  const ts = typeof last?.timestamp === "number" ? last.timestamp * 1000 : undefined;
  const trial: TrialState = {
    id, index: state.trials.length, config: config as TrialState["config"], resources: { cpu: 1, gpu: 0 },
    status: statuses.get(id) ?? (errorFile || error ? "ERROR" : "TERMINATED"),
    attempts: 1, failures: errorFile ? 1 : 0,
    iteration: typeof last?.training_iteration === "number" ? last.training_iteration : lines.length,
    lastResult: last as TrialState["lastResult"], resultCount: lines.length, checkpoints,
    ...(errorFile || error ? { error: (error ?? errorFile).trim().split("\n").pop() } : {}),
    ...(best !== undefined ? { best } : {}),
    ...(ts !== undefined ? { endedAt: ts } : {}),
  };
  state.positions.set(id, state.trials.length);
  state.trials.push(trial);
  if (ts !== undefined && ts > (state.updatedAt ?? 0)) state.updatedAt = ts;
  (rayDirs.get(state) ?? rayDirs.set(state, new Map()).get(state)!).set(id, name);
}

/** Ray trial dirs are named by Ray, not `trial_<id>`: the dir name of each trial id of a Ray state. */
export const rayDirs = new WeakMap<ExperimentState, Map<string, string>>();

function trialStatuses(text: string): Map<string, TrialStatus> {
  const out = new Map<string, TrialStatus>();
  const re = /\\?"trial_id\\?":\s*\\?"([\w-]+)\\?"[^{}]*?\\?"status\\?":\s*\\?"(PENDING|RUNNING|PAUSED|TERMINATED|ERROR)\\?"/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.set(m[1]!, m[2] as TrialStatus);
  return out;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
