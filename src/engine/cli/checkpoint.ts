/**
 * `tunelab checkpoint fetch|ls|cat`: checkpoints an ssh experiment kept on its
 * hosts. `fetch` brings placeholders' files home; `ls` and `cat` read them in
 * place (the extension's read-only `tunelab-remote:` file system runs these).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import type { Mode } from "../config.ts";
import { readJournal } from "../store/journal.ts";
import { replay, type TrialState } from "../store/state.ts";
import { readRemoteCheckpoint } from "../store/checkpoints.ts";
import { ExitCode } from "./exit-codes.ts";
import { bestTrial } from "./progress.ts";
import { CheckpointHosts, checkpointPath, experimentAccess } from "./remote-checkpoints.ts";

export interface FetchOptions {
  trial?: string;
  all?: boolean;
  best?: boolean;
  json?: boolean;
}

/** One checkpoint dir the command looked at. */
interface Target {
  trial: string | undefined;
  dir: string;
}

function fail(code: ExitCode, message: string): ExitCode {
  process.stderr.write(`tunelab: ${message}\n`);
  return code;
}

/** The checkpoints `o` (or the explicit `paths`) names, or an error message. */
function targets(expDir: string, trials: readonly TrialState[], paths: readonly string[], o: FetchOptions, metric: string | undefined, mode: Mode | undefined): Target[] | string {
  if (paths.length) {
    return paths.map((p) => {
      const dir = existsSync(resolve(p)) ? resolve(p) : join(expDir, p);
      const owner = trials.find((t) => t.checkpoints.some((c) => checkpointPath(expDir, c.path) === dir));
      return { trial: owner?.id, dir };
    });
  }
  if (o.best && (o.all || o.trial)) return "--best names one trial; leave out --all and --trial";
  let chosen: TrialState[];
  if (o.trial) {
    const t = trials.find((x) => x.id === o.trial);
    if (!t) return `no trial ${o.trial} in ${expDir} (trials: ${trials.slice(0, 8).map((x) => x.id).join(", ")}${trials.length > 8 ? ", …" : ""})`;
    chosen = [t];
  } else if (o.all) chosen = [...trials];
  else {
    if (!metric || (mode !== "min" && mode !== "max")) return "the experiment has no metric/mode to pick the best trial; pass --trial ID or --all";
    const best = bestTrial(trials, metric, mode);
    if (!best) return `no trial has reported ${metric} yet; pass --trial ID or --all`;
    chosen = [best];
  }
  return chosen.flatMap((t) => {
    const kept = o.all ? t.checkpoints : t.checkpoints.reduce<typeof t.checkpoints>((l, c) => (!l[0] || c.iteration >= l[0].iteration ? [c] : l), []);
    return kept.map((c) => ({ trial: t.id, dir: checkpointPath(expDir, c.path) }));
  });
}

export async function checkpointFetchCommand(dirArg: string, paths: readonly string[], o: FetchOptions): Promise<ExitCode> {
  const expDir = resolve(dirArg);
  if (!existsSync(join(expDir, "events.jsonl"))) return fail(ExitCode.NotFound, `${expDir} is not an experiment dir (no events.jsonl)`);
  const state = replay((await readJournal(expDir)).events);
  const chosen = targets(expDir, state.trials, paths, o, state.metric, state.mode);
  if (typeof chosen === "string") return fail(o.trial && chosen.startsWith("no trial") ? ExitCode.NotFound : ExitCode.BadInput, chosen);
  if (chosen.length === 0) {
    process.stdout.write(`no checkpoint to fetch: ${o.trial ? `trial ${o.trial}` : "the chosen trials"} kept none\n`);
    return ExitCode.Ok;
  }
  const access = experimentAccess(expDir);
  const hosts = new CheckpointHosts(access ?? { executor: undefined, configPath: join(expDir, "experiment.json") });
  const rows: Record<string, unknown>[] = [];
  let failed = 0;
  for (const t of chosen) {
    const label = `${t.trial ? `trial ${t.trial} ` : ""}${basename(t.dir)}`;
    if (!existsSync(t.dir)) {
      failed++;
      process.stderr.write(`tunelab: ${label}: ${t.dir} does not exist (retention may have removed it)\n`);
      rows.push({ trial: t.trial, path: t.dir, error: "missing" });
      continue;
    }
    try {
      const started = Date.now();
      const ref = await hosts.fetch(t.dir);
      const bytes = dirBytes(t.dir);
      rows.push({ trial: t.trial, path: t.dir, fetched: ref !== undefined, ...(ref ? { host: ref.host, remotePath: ref.path, bytes, ms: Date.now() - started } : {}) });
      if (!o.json) {
        process.stdout.write(ref
          ? `${label}: fetched from ${ref.host}:${ref.path} into ${t.dir} (${formatBytes(bytes)})\n`
          : `${label}: already here (${t.dir})\n`);
      }
    } catch (error) {
      failed++;
      const message = (error as Error).message;
      process.stderr.write(`tunelab: ${label}: ${message}\n`);
      rows.push({ trial: t.trial, path: t.dir, error: message });
    }
  }
  if (o.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length > 1) {
    const fetched = rows.filter((r) => r.fetched).length;
    process.stdout.write(`${fetched} fetched, ${rows.filter((r) => r.fetched === false).length} already here${failed ? `, ${failed} failed` : ""}\n`);
  }
  return failed ? ExitCode.RunFailed : ExitCode.Ok;
}

/** `tunelab checkpoint ls <exp> <host> <path>`: what a path on one of the experiment's hosts is. */
export async function checkpointLsCommand(dirArg: string, host: string, path: string, o: { json?: boolean }): Promise<ExitCode> {
  const hosts = accessFor(dirArg);
  if (typeof hosts === "number") return hosts;
  try {
    const entry = await hosts.list(host, path);
    if (o.json) process.stdout.write(`${JSON.stringify(entry)}\n`);
    else if (entry.entries) process.stdout.write(entry.entries.map(([name, type]) => (type === "dir" ? `${name}/` : name)).join("\n") + (entry.entries.length ? "\n" : ""));
    else process.stdout.write(`${path} (${formatBytes(entry.size)})\n`);
    return ExitCode.Ok;
  } catch (error) {
    return remoteFailure(error);
  }
}

/** `tunelab checkpoint cat <exp> <host> <path>`: a file's bytes on stdout. */
export async function checkpointCatCommand(dirArg: string, host: string, path: string): Promise<ExitCode> {
  const hosts = accessFor(dirArg);
  if (typeof hosts === "number") return hosts;
  try {
    const bytes = await hosts.read(host, path);
    await new Promise<void>((res, rej) => process.stdout.write(bytes, (e) => (e ? rej(e) : res())));
    return ExitCode.Ok;
  } catch (error) {
    return remoteFailure(error);
  }
}

function accessFor(dirArg: string): CheckpointHosts | ExitCode {
  const expDir = resolve(dirArg);
  const access = experimentAccess(expDir);
  if (!access) return fail(ExitCode.NotFound, `${expDir} is not a Tunelab experiment dir (no experiment.json with a configPath)`);
  return new CheckpointHosts(access);
}

function remoteFailure(error: unknown): ExitCode {
  const e = error as Error & { code?: string };
  return fail(e.code === "ENOENT" ? ExitCode.NotFound : ExitCode.RunFailed, e.message);
}

/** Where `tunelab best` says a checkpoint is: the local dir, or its host when it stayed there. */
export function describeCheckpoint(expDir: string, dir: string): string {
  let ref;
  try {
    ref = readRemoteCheckpoint(dir);
  } catch (error) {
    return `${dir} (a broken remote checkpoint placeholder: ${(error as Error).message})`;
  }
  if (!ref) return dir;
  const rel = relative(process.cwd(), expDir) || ".";
  return `on ssh host ${ref.host} at ${ref.path} (placeholder ${dir}; \`tunelab checkpoint fetch ${rel} ${relative(expDir, dir)}\` brings it here)`;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : e.isFile() ? statSync(p).size : 0;
  }
  return total;
}

function formatBytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1024 / 1024).toFixed(1)} MB`;
}
