/** Runs the real CLI (from source) as a child process and reads what it left in the experiment dir. */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseJournal } from "../../src/engine/store/journal.ts";
import { replay, type ExperimentState } from "../../src/engine/store/state.ts";
import type { JournalEvent } from "../../src/engine/store/events.ts";

export const ROOT = resolve(import.meta.dirname, "../..");
export const BEHAVIOURS = join(ROOT, "test/fixtures/projects/behaviours/tune.config.ts");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempStorage(): string {
  return mkdtempSync(join(tmpdir(), "tunelab-test-"));
}

/** Starts `tunelab <args>` from source; `overrides` go to the behaviours config. */
export function startCli(args: readonly string[], overrides: Record<string, unknown> = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src/engine/cli.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, TUNELAB_TEST_OVERRIDES: JSON.stringify(overrides) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((res) => child.on("close", (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

export function runCli(args: readonly string[], overrides: Record<string, unknown> = {}): Promise<CliRun> {
  return startCli(args, overrides).done;
}

/** The single experiment dir under `storage`. */
export function experimentDir(storage: string): string {
  const dirs = readdirSync(storage).filter((d) => existsSync(join(storage, d, "events.jsonl")));
  if (dirs.length !== 1) throw new Error(`expected one experiment in ${storage}, found ${dirs.join(", ") || "none"}`);
  return join(storage, dirs[0]!);
}

export function journal(dir: string): JournalEvent[] {
  return parseJournal(readFileSync(join(dir, "events.jsonl"), "utf8")).events;
}

export function stateOf(dir: string): ExperimentState {
  return replay(journal(dir));
}

/** Resolves once `check()` is true, polling; rejects after `timeoutMs` with `what`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

/** The journal's complete lines (a torn last line left out), to compare journals before and after a crash. */
export function journalLines(dir: string): string[] {
  const text = readFileSync(join(dir, "events.jsonl"), "utf8");
  return text.slice(0, text.lastIndexOf("\n") + 1).split("\n").filter(Boolean);
}

export type EventOf<T extends JournalEvent["t"]> = Extract<JournalEvent, { t: T }>;

/** The journal events of kind `t`, for trial `id` when given, typed by kind. */
export function eventsOf<T extends JournalEvent["t"]>(events: readonly JournalEvent[], t: T, id?: string): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.t === t && (id === undefined || (e as { id?: string }).id === id));
}

/**
 * Waits until `storage` holds the experiment a started run creates and `check` is true of its
 * journal (and dir); resolves with the experiment dir.
 */
export async function waitForExperiment(
  storage: string, check: (events: JournalEvent[], dir: string) => boolean, what: string, timeoutMs?: number,
): Promise<string> {
  let dir = "";
  await waitFor(() => {
    try {
      dir = experimentDir(storage);
      return check(journal(dir), dir);
    } catch {
      return false; // no experiment dir or journal yet
    }
  }, what, timeoutMs);
  return dir;
}
