/**
 * The experiment dir itself: its name, experiment.json (rewritten
 * atomically so a reader never sees half of it), and listing the
 * experiments under a storage dir for `tunelab ls`.
 */
import { closeSync, fdatasyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { TrialStatus } from "../interfaces.ts";
import { JOURNAL_FILE, readJournalSync } from "./journal.ts";
import { countByStatus, replay } from "./state.ts";
import type { ExperimentOutcome } from "./events.ts";

export const EXPERIMENT_FILE = "experiment.json";

/** `<name>-YYYY-MM-DD_HH-MM-SS` in local time, as Ray names its dirs. */
export function experimentDirName(name: string, now: Date | number): string {
  const d = new Date(now);
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${name}-${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}_${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}`;
}

/**
 * Creates a fresh experiment dir under `storage` and returns its path. Two
 * runs started in the same second get `-2`, `-3`… (mkdir is atomic, so this
 * holds across processes too).
 */
export function createExperimentDir(storage: string, name: string, now: Date | number): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`experiment name ${JSON.stringify(name)}: use letters, digits, '.', '_' or '-' (it names a directory)`);
  mkdirSync(storage, { recursive: true });
  const base = join(storage, experimentDirName(name, now));
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    try {
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}

/** The dir name of trial `id` inside the experiment dir (derived from the id alone, so replay can find it). */
export function trialDirName(id: string): string {
  if (!/^[\w.-]+$/.test(id)) throw new Error(`trial id ${JSON.stringify(id)}: use letters, digits, '.', '_' or '-' (it names a directory)`);
  return `trial_${id}`;
}

/** Replaces `<dir>/experiment.json` atomically: write a temp file, sync it, rename over, sync the dir. */
export function writeExperimentJson(dir: string, value: unknown): void {
  const path = join(dir, EXPERIMENT_FILE);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, JSON.stringify(value, null, 2) + "\n");
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
  // The rename is durable only once the directory entry is synced too.
  const dirFd = openSync(dir, "r");
  try {
    fdatasyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Reads `<dir>/experiment.json`; undefined when there is none. */
export function readExperimentJson(dir: string): unknown {
  const path = join(dir, EXPERIMENT_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
}

export interface ExperimentSummary {
  dir: string;
  name: string;
  /** The outcome when finished; "unfinished" when running or interrupted. */
  status: ExperimentOutcome | "unfinished";
  trials: Record<TrialStatus, number>;
  createdAt?: number;
  updatedAt?: number;
  /** Why the journal could not be read, when it could not; the other fields are then empty. */
  error?: string;
}

/** Lists the experiment dirs (those with a journal) under `storage`, oldest first, each with its replayed summary. */
export function findExperiments(storage: string): ExperimentSummary[] {
  let entries;
  try {
    entries = readdirSync(storage, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const out: ExperimentSummary[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const dir = join(storage, entry.name);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // unreadable: not ours to list
    }
    if (!names.includes(JOURNAL_FILE)) continue;
    out.push(summarize(dir, entry.name));
  }
  return out.sort((a, b) => (a.createdAt ?? 0) - (b.createdAt ?? 0) || a.dir.localeCompare(b.dir));
}

function summarize(dir: string, fallbackName: string): ExperimentSummary {
  try {
    const state = replay(readJournalSync(dir).events);
    return {
      dir,
      name: state.name || fallbackName,
      status: state.finished?.outcome ?? "unfinished",
      trials: countByStatus(state),
      createdAt: state.createdAt,
      updatedAt: state.updatedAt,
    };
  } catch (error) {
    const empty = { PENDING: 0, RUNNING: 0, PAUSED: 0, TERMINATED: 0, ERROR: 0 };
    return { dir, name: fallbackName, status: "unfinished", trials: empty, error: (error as Error).message };
  }
}
