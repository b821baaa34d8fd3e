/**
 * Turns a config file into a ready-to-run experiment (validated config,
 * experiment dir, capacity, seed), or an experiment dir into a resumable one.
 */
import { availableParallelism } from "node:os";
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import type { TuneConfig } from "./config.ts";
import type { Result } from "./interfaces.ts";
import { ConfigError, loadConfig, locateKeyPath } from "./config-loader.ts";
import { detectGpus } from "./resources.ts";
import { freshSeed } from "./random.ts";
import { formatDiagnostic, validateConfig, type Diagnostic } from "./space/validate.ts";
import { createExperimentDir, readExperimentJson, writeExperimentJson } from "./store/experiment-dir.ts";
import { readJournal } from "./store/journal.ts";
import { replay, type ExperimentState } from "./store/state.ts";

export interface PreparedRun {
  config: TuneConfig;
  configPath: string;
  expDir: string;
  seed: number;
  capacity: { cpus: number; gpus: number };
  warnings: string[];
  previous?: ExperimentState;
  /** Acknowledged results of the trials a resume restarts, by trial id. */
  previousResults?: Map<string, Result[]>;
}

export interface RunOverrides {
  storage?: string;
  name?: string;
  seed?: number;
  samples?: number;
  concurrency?: number;
}

/** Formats diagnostics as `file:line: severity: key.path: message` (clickable in terminals), the line found from the key path. */
export function describeDiagnostics(file: string, diagnostics: readonly Diagnostic[]): string[] {
  let source = "";
  try {
    source = readFileSync(file, "utf8");
  } catch {
    // The file vanished since loading: report without lines.
  }
  return diagnostics.map((d) => {
    const line = source ? locateKeyPath(source, d.path) : undefined;
    return `${file}${line ? `:${line}` : ""}: ${d.severity}: ${formatDiagnostic(d)}`;
  });
}

async function capacityOf(config: TuneConfig): Promise<{ cpus: number; gpus: number }> {
  const executor = config.executor;
  return {
    cpus: executor?.cpus ?? availableParallelism(),
    gpus: executor?.gpus ?? (await detectGpus()),
  };
}

/**
 * The most one trial can get, for the "resources impossible" rules: the local machine, the
 * largest SSH host (a trial runs on one host), or nothing known on Slurm (the cluster decides).
 */
function placeableOn(config: TuneConfig, local: { cpus: number; gpus: number }): { cpus?: number; gpus?: number } {
  const executor = config.executor;
  if (executor?.kind === "slurm") return {};
  if (executor?.kind === "ssh") {
    return { cpus: Math.max(0, ...executor.hosts.map((h) => h.cpus)), gpus: Math.max(0, ...executor.hosts.map((h) => h.gpus ?? 0)) };
  }
  return local;
}

/** Applies overrides and validates a config; throws ConfigError with every problem located. */
export async function checkConfig(loaded: TuneConfig, configPath: string, overrides: RunOverrides = {}): Promise<ValidConfig> {
  const config: TuneConfig = {
    ...loaded,
    ...(overrides.samples !== undefined ? { samples: overrides.samples } : {}),
    ...(overrides.concurrency !== undefined ? { concurrency: overrides.concurrency } : {}),
    ...(overrides.name !== undefined ? { name: overrides.name } : {}),
  };
  const capacity = await capacityOf(config);
  const configDir = dirname(configPath);
  const diagnostics = validateConfig(config, {
    ...placeableOn(config, capacity),
    fileExists: (p) => existsSync(isAbsolute(p) ? p : resolve(configDir, p)),
  });
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length) throw new ConfigError(configPath, describeDiagnostics(configPath, errors));
  const warnings = describeDiagnostics(configPath, diagnostics.filter((d) => d.severity !== "error"));
  return { config, configPath, warnings, capacity };
}

interface ValidConfig {
  config: TuneConfig;
  configPath: string;
  warnings: string[];
  capacity: { cpus: number; gpus: number };
}

/** A new experiment dir for a checked config. */
export function createRun(valid: ValidConfig, overrides: RunOverrides = {}): PreparedRun {
  const { config, configPath, capacity } = valid;
  const storage = resolve(dirname(configPath), overrides.storage ?? config.storage ?? ".tunelab");
  const name = config.name ?? "experiment";
  const expDir = createExperimentDir(storage, name, new Date());
  const seed = overrides.seed ?? config.seed ?? config.search?.seed ?? freshSeed();
  writeExperimentJson(expDir, {
    name, configPath, seed, createdAt: Date.now(), metric: config.metric, mode: config.mode,
    spec: JSON.parse(JSON.stringify(config)) as unknown, capacity,
  });
  return { ...valid, expDir, seed };
}

/** A new experiment from a config file: loaded, validated, with a fresh experiment dir. */
export async function prepareRun(configFile: string, overrides: RunOverrides = {}): Promise<PreparedRun> {
  const configPath = resolve(configFile);
  return createRun(await checkConfig(await loadConfig(configPath), configPath, overrides), overrides);
}

/** An interrupted experiment, ready to continue: its journal replayed, its config reloaded. */
export async function prepareResume(expDirArg: string): Promise<PreparedRun> {
  const expDir = resolve(expDirArg);
  const meta = readExperimentJson(expDir) as { configPath?: string; seed?: number; spec?: Record<string, unknown> } | undefined;
  if (!meta?.configPath) {
    throw new ConfigError(expDir, ["not a Tunelab experiment dir (no experiment.json with a configPath)"]);
  }
  const { events } = await readJournal(expDir);
  const previous = replay(events);
  const unfinished = new Set(previous.trials.filter((t) => t.status !== "TERMINATED" && t.status !== "ERROR").map((t) => t.id));
  const previousResults = new Map<string, Result[]>();
  for (const e of events) {
    if (e.t !== "result" || !unfinished.has(e.id)) continue;
    const list = previousResults.get(e.id);
    if (list) list.push(e.r);
    else previousResults.set(e.id, [e.r]);
  }
  const { config, configPath, warnings, capacity } = await checkConfig(await loadConfig(meta.configPath), meta.configPath);
  const changed = changedKeys(meta.spec ?? {}, JSON.parse(JSON.stringify(config)) as Record<string, unknown>);
  if (changed.length) {
    warnings.push(`${configPath}: warning: the config changed since this experiment started (${changed.join(", ")}); resuming with the new one`);
  }
  return { config, configPath, expDir, seed: previous.seed || (meta.seed ?? 0), capacity, warnings, previous, previousResults };
}

/** Top-level keys whose JSON differs between two configs. */
function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}
