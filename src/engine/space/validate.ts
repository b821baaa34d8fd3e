/**
 * The validation rules for a whole tune config, shared by the runner (on the
 * loaded config) and the language server (on the config read from the syntax
 * tree, where unevaluable values arrive as DYNAMIC and are skipped).
 */
import { searcherKinds } from "../search/index.ts";
import { DiagnosticSink, didYouMean, isDynamic, type Diagnostic } from "./diagnostics.ts";
import type { KeyPath } from "./path.ts";
import { describe, validateSpace } from "./validate-space.ts";
import { isPlainObject } from "./variants.ts";
import { validateExtra } from "./validate-extra.ts";
import { validateScheduler } from "../schedulers/validate.ts";

export { DYNAMIC, isDynamic, formatDiagnostic, type Diagnostic, type Dynamic } from "./diagnostics.ts";
export { validateSpace } from "./validate-space.ts";
export { formatPath } from "./path.ts";

/** What the caller knows about where trials will run; rules that need an unknown fact are skipped. */
export interface ValidationEnv {
  gpus?: number;
  cpus?: number;
  /** Resolves paths relative to the config file. */
  fileExists?: (path: string) => boolean;
}

/** Above this many trials, a grid is more likely a mistake than a plan. */
export const GRID_WARNING_THRESHOLD = 10_000;

const TOP_KEYS = ["name", "trainable", "space", "metric", "mode", "samples", "search", "scheduler", "stop", "timeBudgetS",
  "concurrency", "resources", "checkpoints", "maxFailures", "storage", "executor", "stopGraceS", "seed",
  "reuseWorkers", "loggers", "callbacks"];
const LOGGER_KINDS = ["json", "csv", "tensorboard"];
/** Ray Tune's names for our keys, so a Ray user's habit gets a precise suggestion. */
const RAY_ALIASES: Record<string, string> = {
  numSamples: "samples", maxConcurrentTrials: "concurrency", paramSpace: "space", config: "space",
  resourcesPerTrial: "resources", searchAlg: "search", timeBudget: "timeBudgetS", checkpointConfig: "checkpoints",
  storagePath: "storage", maxFailure: "maxFailures",
};
const RESOURCE_KEYS = ["cpu", "gpu", "workers"];
const CHECKPOINT_KEYS = ["keep", "scoreAttr", "scoreOrder", "frequency", "atEnd"];
const CHECKPOINT_ALIASES: Record<string, string> = { numToKeep: "keep", checkpointScoreAttribute: "scoreAttr", checkpointScoreOrder: "scoreOrder", checkpointFrequency: "frequency", checkpointAtEnd: "atEnd" };
/** Keys per executor kind; a new executor adds its row here. */
const EXECUTOR_KEYS: Record<string, string[]> = {
  local: ["kind", "cpus", "gpus"],
  ssh: ["kind", "hosts", "sync", "sshConfig", "hostLostMs", "checkpoints"],
  slurm: ["kind", "partition", "account", "time", "gresPerTrial", "extraArgs", "sharedDir", "cpusPerTrial", "arrays"],
};
const SSH_HOST_KEYS = ["host", "cpus", "gpus", "workdir", "python", "address"];
const COMMAND_KEYS = ["command", "cwd", "env"];
const PYTHON_KEYS = ["python", "interpreter", "cwd", "env"];
const INTERPRETERS = /^(python[\d.]*|node|bash|sh|zsh|Rscript|julia|ruby|perl|deno|bun|tsx)$/;
const PYTHON_TARGET = /^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$/;

/** Every key path of a space down to its leaves (domains and constants), for rules that name space keys. */
function keyPaths(space: Record<string, unknown>, prefix: string[] = []): string[][] {
  return Object.entries(space).flatMap(([k, v]) =>
    isPlainObject(v) && !("__tunelab" in v) ? [[...prefix, k], ...keyPaths(v, [...prefix, k])] : [[...prefix, k]]);
}

/** Every problem in `config`, errors (the run cannot start) and warnings. */
export function validateConfig(config: unknown, env: ValidationEnv = {}): Diagnostic[] {
  if (isDynamic(config)) return [];
  const sink = new DiagnosticSink();
  if (!isPlainObject(config)) {
    sink.error([], "config-not-object", `the config must be an object (got ${describe(config)})`);
    return sink.items;
  }
  const c = config;
  unknownKeys(c, [], TOP_KEYS, RAY_ALIASES, sink);
  trainable(c.trainable, env, sink);
  metricAndMode(c, sink);
  wholeNumber(c.samples, ["samples"], 1, "samples-invalid", "samples", sink);
  wholeNumber(c.concurrency, ["concurrency"], 1, "concurrency-invalid", "concurrency", sink);
  wholeNumber(c.maxFailures, ["maxFailures"], -1, "max-failures-invalid", "maxFailures (-1 = retry forever)", sink);
  wholeNumber(c.seed, ["seed"], 0, "seed-invalid", "seed", sink);
  positive(c.timeBudgetS, ["timeBudgetS"], false, "time-budget-invalid", sink);
  positive(c.stopGraceS, ["stopGraceS"], true, "stop-grace-invalid", sink);
  for (const key of ["name", "storage"]) string(c[key], [key], sink);
  if (c.reuseWorkers !== undefined && !isDynamic(c.reuseWorkers) && typeof c.reuseWorkers !== "boolean") {
    sink.error(["reuseWorkers"], "wrong-type", `reuseWorkers must be true or false (got ${describe(c.reuseWorkers)})`);
  }
  loggers(c.loggers, sink);
  if (c.callbacks !== undefined && !isDynamic(c.callbacks) && !Array.isArray(c.callbacks)) {
    sink.error(["callbacks"], "wrong-type", `callbacks must be a list of objects with onTrialResult/onTrialComplete/onExperimentEnd (got ${describe(c.callbacks)})`);
  }
  resources(c.resources, env, sink);
  checkpoints(c.checkpoints, sink);
  executor(c.executor, sink);
  search(c.search, sink);
  stop(c.stop, ["stop"], sink);
  if (c.scheduler !== undefined && !isDynamic(c.scheduler) && (!isPlainObject(c.scheduler) || typeof c.scheduler.kind !== "string")) {
    sink.error(["scheduler"], "scheduler-invalid", "scheduler must be a spec with a kind, e.g. asha({...})");
  } else if (isPlainObject(c.scheduler)) {
    sink.items.push(...validateScheduler(c.scheduler, {
      space: c.space, spaceKeys: isPlainObject(c.space) ? keyPaths(c.space) : undefined, metric: c.metric, mode: c.mode,
    }));
  }
  if (c.space !== undefined && !isDynamic(c.space)) {
    if (!isPlainObject(c.space)) sink.error(["space"], "space-invalid", `space must be an object of parameters (got ${describe(c.space)})`);
    else {
      sink.items.push(...validateSpace(c.space, ["space"]));
      gridSize(c.space, c.samples, sink);
    }
  }
  sink.items.push(...validateExtra(c, env));
  return sink.items;
}

function unknownKeys(obj: Record<string, unknown>, path: KeyPath, known: readonly string[], aliases: Record<string, string>, sink: DiagnosticSink): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const suggestion = didYouMean(key, known, aliases);
    sink.error([...path, key], "unknown-key", `unknown key "${key}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
      suggestion ? { suggestion } : undefined);
  }
}

function trainable(t: unknown, env: ValidationEnv, sink: DiagnosticSink): void {
  const path = ["trainable"];
  if (isDynamic(t)) return;
  if (t === undefined) return sink.error(path, "trainable-missing", 'trainable is required: { command: ["python", "train.py"] } or { python: "module:function" }');
  if (!isPlainObject(t)) return sink.error(path, "trainable-invalid", `trainable must be an object (got ${describe(t)})`);
  const hasCommand = "command" in t;
  const hasPython = "python" in t;
  if (hasCommand && hasPython) sink.error(path, "trainable-ambiguous", 'trainable has both "command" and "python": keep one');
  if (!hasCommand && !hasPython) return sink.error(path, "trainable-missing", 'trainable needs "command" (an argument vector) or "python" ("module:function")');
  unknownKeys(t, path, hasCommand ? COMMAND_KEYS : PYTHON_KEYS, {}, sink);
  for (const key of ["cwd", "interpreter"]) string(t[key], [...path, key], sink);
  if (hasPython && !isDynamic(t.python) && (typeof t.python !== "string" || !PYTHON_TARGET.test(t.python))) {
    sink.error([...path, "python"], "trainable-python", `python trainable must be "module:function" or "module:Class" (got ${describe(t.python)})`);
  }
  const command = t.command;
  if (!hasCommand || isDynamic(command)) return;
  if (!Array.isArray(command) || command.length === 0 || command.some((a) => !isDynamic(a) && typeof a !== "string") || command[0] === "") {
    return sink.error([...path, "command"], "trainable-command", 'command must be a non-empty argument vector of strings, e.g. ["python", "train.py"]');
  }
  if (!env.fileExists) return;
  // Bare program names are looked up on PATH at run time; check paths and interpreter scripts only.
  const cwd = typeof t.cwd === "string" ? t.cwd : undefined;
  const candidates: [number, unknown][] = [[0, command[0]]];
  if (typeof command[0] === "string" && INTERPRETERS.test(command[0].split("/").pop() ?? "")) candidates.push([1, command[1]]);
  for (const [i, arg] of candidates) {
    if (typeof arg !== "string" || arg.startsWith("-") || (i === 0 && !arg.includes("/"))) continue;
    if (i === 1 && !/\.\w+$/.test(arg)) continue;
    const full = cwd && !arg.startsWith("/") ? `${cwd.replace(/\/+$/, "")}/${arg}` : arg;
    if (!env.fileExists(full)) sink.warning([...path, "command", i], "trainable-not-found", `${full} not found`, { file: full });
  }
}

function metricAndMode(c: Record<string, unknown>, sink: DiagnosticSink): void {
  const { metric, mode } = c;
  if (metric !== undefined && !isDynamic(metric) && (typeof metric !== "string" || metric === "")) {
    sink.error(["metric"], "metric-invalid", `metric must be the name of a reported value (got ${describe(metric)})`);
  }
  if (mode !== undefined && !isDynamic(mode) && mode !== "min" && mode !== "max") {
    const suggestion = typeof mode === "string" ? (/^min/i.test(mode) ? "min" : /^max/i.test(mode) ? "max" : undefined) : undefined;
    sink.error(["mode"], "mode-invalid", `mode must be "min" or "max" (got ${describe(mode)})`, suggestion ? { suggestion } : undefined);
  }
  if (metric !== undefined && mode === undefined) sink.error(["metric"], "mode-missing", 'metric is set but mode is not: add mode: "min" or "max"');
  if (mode !== undefined && metric === undefined) sink.error(["mode"], "metric-missing", "mode is set but metric is not: name the reported value to optimise");
}

function wholeNumber(v: unknown, path: KeyPath, min: number, code: string, what: string, sink: DiagnosticSink): void {
  if (v === undefined || isDynamic(v)) return;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) sink.error(path, code, `${what} must be an integer ≥ ${min} (got ${describe(v)})`);
}

function positive(v: unknown, path: KeyPath, zeroOk: boolean, code: string, sink: DiagnosticSink): void {
  if (v === undefined || isDynamic(v)) return;
  const ok = typeof v === "number" && !Number.isNaN(v) && (zeroOk ? v >= 0 : v > 0);
  if (!ok) sink.error(path, code, `${String(path.at(-1))} must be a number ${zeroOk ? "≥" : ">"} 0 (got ${describe(v)})`);
}

function string(v: unknown, path: KeyPath, sink: DiagnosticSink): void {
  if (v !== undefined && !isDynamic(v) && typeof v !== "string") sink.error(path, "wrong-type", `${String(path.at(-1))} must be a string (got ${describe(v)})`);
}

/** A section that must be a plain object; false when it is absent, dynamic or reported. */
function section(v: unknown, key: string, sink: DiagnosticSink): v is Record<string, unknown> {
  if (v === undefined || isDynamic(v)) return false;
  if (isPlainObject(v)) return true;
  sink.error([key], "wrong-type", `${key} must be an object (got ${describe(v)})`);
  return false;
}

function resources(r: unknown, env: ValidationEnv, sink: DiagnosticSink): void {
  if (!section(r, "resources", sink)) return;
  unknownKeys(r, ["resources"], RESOURCE_KEYS, { cpus: "cpu", gpus: "gpu", numCpus: "cpu", numGpus: "gpu" }, sink);
  for (const key of RESOURCE_KEYS) {
    const v = r[key];
    if (v === undefined || isDynamic(v)) continue;
    const path = ["resources", key];
    if (key === "workers") {
      wholeNumber(v, path, 1, "resources-workers", "resources.workers", sink);
      continue;
    }
    const available = key === "gpu" ? env.gpus : env.cpus;
    if (typeof v !== "number" || !Number.isFinite(v)) sink.error(path, "wrong-type", `resources.${key} must be a number (got ${describe(v)})`);
    else if (v < 0) sink.error(path, "resources-negative", `resources.${key} must be ≥ 0 (got ${v})`);
    else if (key === "gpu" && v > 1 && !Number.isInteger(v)) sink.error(path, "gpu-fraction", `fractional GPU must be ≤ 1 (got ${v})`);
    else if (available !== undefined && v > available) {
      sink.error(path, `${key}-unavailable`, `each trial needs ${v} ${key.toUpperCase()}(s) but ${available} are available`, { available });
    }
  }
}

function checkpoints(cp: unknown, sink: DiagnosticSink): void {
  if (!section(cp, "checkpoints", sink)) return;
  unknownKeys(cp, ["checkpoints"], CHECKPOINT_KEYS, CHECKPOINT_ALIASES, sink);
  wholeNumber(cp.keep, ["checkpoints", "keep"], 1, "checkpoints-keep", "checkpoints.keep", sink);
  wholeNumber(cp.frequency, ["checkpoints", "frequency"], 0, "checkpoints-frequency", "checkpoints.frequency", sink);
  string(cp.scoreAttr, ["checkpoints", "scoreAttr"], sink);
  const order = cp.scoreOrder;
  if (order !== undefined && !isDynamic(order) && order !== "min" && order !== "max") {
    sink.error(["checkpoints", "scoreOrder"], "score-order-invalid", `checkpoints.scoreOrder must be "min" or "max" (got ${describe(order)})`);
  }
  if (cp.atEnd !== undefined && !isDynamic(cp.atEnd) && typeof cp.atEnd !== "boolean") {
    sink.error(["checkpoints", "atEnd"], "wrong-type", `checkpoints.atEnd must be true or false (got ${describe(cp.atEnd)})`);
  }
}

function executor(e: unknown, sink: DiagnosticSink): void {
  if (!section(e, "executor", sink) || isDynamic(e.kind)) return;
  const kinds = Object.keys(EXECUTOR_KEYS);
  const keys = typeof e.kind === "string" ? EXECUTOR_KEYS[e.kind] : undefined;
  if (!keys) {
    const suggestion = typeof e.kind === "string" ? didYouMean(e.kind, kinds) : undefined;
    sink.error(["executor", "kind"], "unknown-executor-kind", `unknown executor kind ${describe(e.kind)}; known: ${kinds.join(", ")}`, suggestion ? { suggestion } : undefined);
    return;
  }
  unknownKeys(e, ["executor"], keys, { numCpus: "cpus", numGpus: "gpus", cpu: "cpus", gpu: "gpus" }, sink);
  for (const key of ["cpus", "gpus"]) positive(e[key], ["executor", key], true, "executor-invalid", sink);
  if (e.kind === "ssh") sshOptions(e, sink);
  if (e.kind === "slurm") slurmOptions(e, sink);
}

function slurmOptions(e: Record<string, unknown>, sink: DiagnosticSink): void {
  for (const key of ["partition", "account", "gresPerTrial", "sharedDir"]) {
    const v = e[key];
    if (v !== undefined && !isDynamic(v) && typeof v !== "string") sink.error(["executor", key], "wrong-type", `executor.${key} must be a string (got ${describe(v)})`);
  }
  const t = e.time;
  if (t !== undefined && !isDynamic(t) && typeof t !== "string" && !(typeof t === "number" && Number.isInteger(t) && t > 0)) {
    sink.error(["executor", "time"], "wrong-type", `executor.time must be a Slurm time like "1:00:00" or a whole number of minutes (got ${describe(t)})`);
  }
  const x = e.extraArgs;
  if (x !== undefined && !isDynamic(x) && !(Array.isArray(x) && x.every((a) => typeof a === "string" && a.startsWith("-")))) {
    sink.error(["executor", "extraArgs"], "wrong-type", 'executor.extraArgs must be a list of sbatch options, like ["--qos=high", "--mem=16G"]');
  }
  if (e.cpusPerTrial !== undefined && !isDynamic(e.cpusPerTrial)) wholeNumber(e.cpusPerTrial, ["executor", "cpusPerTrial"], 1, "executor-invalid", "executor.cpusPerTrial", sink);
  if (e.arrays !== undefined && !isDynamic(e.arrays) && typeof e.arrays !== "boolean") {
    sink.error(["executor", "arrays"], "wrong-type", `executor.arrays must be true or false (got ${describe(e.arrays)})`);
  }
}

function sshOptions(e: Record<string, unknown>, sink: DiagnosticSink): void {
  sshHosts(e.hosts, sink);
  const lost = e.hostLostMs;
  // Below a few poll intervals (500 ms each), one slow answer would already count as a lost host.
  if (lost !== undefined && !isDynamic(lost) && !(typeof lost === "number" && Number.isFinite(lost) && lost >= 2000)) {
    sink.error(["executor", "hostLostMs"], "executor-invalid", `executor.hostLostMs must be a number of milliseconds ≥ 2000, like 60000 (got ${describe(lost)})`);
  }
  const ck = e.checkpoints;
  if (ck !== undefined && !isDynamic(ck) && ck !== "lazy" && ck !== "eager") {
    const suggestion = typeof ck === "string" ? didYouMean(ck, ["lazy", "eager"]) : undefined;
    sink.error(["executor", "checkpoints"], "executor-invalid", `executor.checkpoints must be "lazy" (checkpoints stay on their host) or "eager" (fetched at once) (got ${describe(ck)})`, suggestion ? { suggestion } : undefined);
  }
}

function sshHosts(hosts: unknown, sink: DiagnosticSink): void {
  if (isDynamic(hosts)) return;
  if (!Array.isArray(hosts) || hosts.length === 0) {
    sink.error(["executor", "hosts"], "ssh-hosts-missing", 'executor.hosts must list at least one host, like [{ host: "gpu1", cpus: 8 }]');
    return;
  }
  const seen = new Map<string, number>();
  hosts.forEach((h: unknown, i) => {
    const at = ["executor", "hosts", String(i)];
    if (!isPlainObject(h)) return sink.error(at, "wrong-type", `executor.hosts[${i}] must be an object (got ${describe(h)})`);
    if (typeof h.host === "string") {
      const first = seen.get(h.host);
      // Two entries would each count the host's CPUs and GPUs, and its trials and checkpoints could not be told apart.
      if (first !== undefined) sink.error([...at, "host"], "ssh-host-duplicate", `executor.hosts[${i}].host "${h.host}" is listed already as executor.hosts[${first}]: give each host one entry with all its CPUs and GPUs`);
      else seen.set(h.host, i);
    }
    unknownKeys(h, at, SSH_HOST_KEYS, { cpu: "cpus", gpu: "gpus", hostname: "host" }, sink);
    if (!isDynamic(h.host) && (typeof h.host !== "string" || h.host.trim() === "" || h.host.startsWith("-"))) {
      sink.error([...at, "host"], "ssh-host-invalid", `executor.hosts[${i}].host must be an ssh destination such as "gpu1" or "me@10.0.0.5" (got ${describe(h.host)})`);
    }
    if (h.cpus === undefined) sink.error([...at, "cpus"], "ssh-host-cpus", `executor.hosts[${i}].cpus is required: how many CPUs trials may use on ${String(h.host)}`);
    for (const key of ["cpus", "gpus"]) positive(h[key], [...at, key], true, "executor-invalid", sink);
    for (const key of ["workdir", "python"]) string(h[key], [...at, key], sink);
    const addr = h.address;
    if (addr !== undefined && !isDynamic(addr) && (typeof addr !== "string" || !/^[A-Za-z0-9][A-Za-z0-9.:_%-]*$/.test(addr))) {
      sink.error([...at, "address"], "ssh-host-invalid", `executor.hosts[${i}].address must be a host name or IP address the other hosts reach ${String(h.host)} by, like "10.0.0.5" (got ${describe(addr)})`);
    }
  });
}

function search(s: unknown, sink: DiagnosticSink): void {
  if (!section(s, "search", sink) || isDynamic(s.kind)) return;
  const kinds = searcherKinds();
  if (typeof s.kind !== "string" || !kinds.includes(s.kind)) {
    const suggestion = typeof s.kind === "string" ? didYouMean(s.kind, kinds) : undefined;
    sink.error(["search", "kind"], "unknown-search-kind", `unknown search kind ${describe(s.kind)}; known: ${kinds.join(", ")}`, suggestion ? { suggestion } : undefined);
  }
  wholeNumber(s.seed, ["search", "seed"], 0, "seed-invalid", "search.seed", sink);
  const points = s.pointsToEvaluate;
  if (points !== undefined && !isDynamic(points) && (!Array.isArray(points) || points.some((p) => !isPlainObject(p) && !isDynamic(p)))) {
    sink.error(["search", "pointsToEvaluate"], "points-invalid", "pointsToEvaluate must be an array of (partial) configs");
  }
}

/** Ray's dict stopper: every value is a threshold number. Other stoppers are specs or functions. */
function stop(s: unknown, path: KeyPath, sink: DiagnosticSink): void {
  if (Array.isArray(s)) return s.forEach((item, i) => stop(item, [...path, i], sink));
  if (!isPlainObject(s) || isDynamic(s) || "__stopper" in s) return;
  for (const [key, v] of Object.entries(s)) {
    if (isDynamic(v)) continue;
    if (typeof v !== "number" || Number.isNaN(v)) sink.error([...path, key], "stop-not-number", `stop threshold for "${key}" must be a number (got ${describe(v)})`);
  }
}

/** Grid combinations, as a lower bound when parts are dynamic. */
function countGrid(node: unknown): { n: number; exact: boolean } {
  if (isDynamic(node)) return { n: 1, exact: false };
  if (typeof node !== "object" || node === null) return { n: 1, exact: true };
  const tag = (node as { __tunelab?: unknown }).__tunelab;
  if (tag === "grid") {
    const values = (node as { values?: unknown }).values;
    if (!Array.isArray(values)) return { n: 1, exact: false };
    return values.map(countGrid).reduce((a, b) => ({ n: a.n + b.n, exact: a.exact && b.exact }), { n: 0, exact: true });
  }
  if (tag !== undefined || !(Array.isArray(node) || isPlainObject(node))) return { n: 1, exact: true };
  return Object.values(node).map(countGrid).reduce((a, b) => ({ n: a.n * b.n, exact: a.exact && b.exact }), { n: 1, exact: true });
}

function gridSize(space: Record<string, unknown>, samples: unknown, sink: DiagnosticSink): void {
  const grid = countGrid(space);
  const known = typeof samples === "number" && Number.isInteger(samples) && samples >= 1;
  const times = samples === undefined ? 1 : known ? samples : 1;
  const total = grid.n * times;
  if (total <= GRID_WARNING_THRESHOLD) return;
  const exact = grid.exact && (samples === undefined || known);
  sink.warning(["space"], "grid-too-large",
    `grid × samples gives ${exact ? "" : "at least "}${total.toLocaleString("en-US")} trials (${grid.n.toLocaleString("en-US")} combinations × ${times} samples), over ${GRID_WARNING_THRESHOLD.toLocaleString("en-US")}`,
    { count: total });
}

function loggers(value: unknown, sink: DiagnosticSink): void {
  if (value === undefined || isDynamic(value)) return;
  if (!Array.isArray(value)) {
    sink.error(["loggers"], "wrong-type", `loggers must be a list such as ["json", "csv", "tensorboard"] (got ${describe(value)})`);
    return;
  }
  value.forEach((kind, i) => {
    if (isDynamic(kind) || (typeof kind === "string" && LOGGER_KINDS.includes(kind))) return;
    const near = typeof kind === "string" ? didYouMean(kind, LOGGER_KINDS) : undefined;
    sink.error(["loggers", i], "unknown-logger", `unknown logger ${describe(kind)}${near ? ` (did you mean "${near}"?)` : ""}; known: ${LOGGER_KINDS.join(", ")}`,
      near ? { suggestion: near } : undefined);
  });
}
