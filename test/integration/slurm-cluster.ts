/**
 * The single-node Slurm cluster the Slurm integration tests run on, started
 * by the tests themselves with scripts/slurm (packages are apt-installed when
 * missing). Tests skip, saying why, only where Slurm cannot be had: not root,
 * or the start script failed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, tempStorage } from "./helpers.ts";
import type { TuneConfig } from "../../src/engine/config.ts";
import type { CommandResult, SlurmCli } from "../../src/engine/executors/slurm-cli.ts";
import { execSlurmCli } from "../../src/engine/executors/slurm-cli.ts";
import { SlurmExecutor } from "../../src/engine/executors/slurm.ts";
import type { Result, TrialView } from "../../src/engine/interfaces.ts";
import { Runner, type RunSummary } from "../../src/engine/runner.ts";

export const SLURM_DIR = process.env.TUNELAB_SLURM_DIR ?? "/tmp/tunelab-slurm";
export const SLURM_GPUS = 2;
const SCRIPTS = join(ROOT, "scripts/slurm");

export interface Cluster {
  env: Record<string, string>;
  /** Whether these tests started the daemons (then the last test process to finish stops them). */
  startedHere: boolean;
}

function alive(name: string): boolean {
  try {
    const pid = readFileSync(join(SLURM_DIR, "run", `${name}.pid`), "utf8").trim();
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim() === name;
  } catch {
    return false;
  }
}

// Test files may run in parallel, each holding the cluster: a lease per process, and a marker
// saying the tests (not a person) started it, so the last one out stops it and nobody else does.
const LEASES = join(SLURM_DIR, "run", "leases");
const STARTED_BY_TESTS = join(SLURM_DIR, "run", "started-by-tests");

function otherLeases(): boolean {
  try {
    return readdirSync(LEASES).some((pid) => Number(pid) !== process.pid && existsSync(`/proc/${pid}`));
  } catch {
    return false;
  }
}

/** Starts the cluster (2 fake GPUs); a string says why it cannot run here. */
export function startCluster(): Cluster | string {
  if (process.getuid?.() !== 0) return "the local Slurm cluster must be started as root (scripts/slurm/start-local-slurm.sh)";
  const wasUp = alive("slurmctld") && alive("slurmd");
  const env = { ...process.env, TUNELAB_SLURM_DIR: SLURM_DIR, TUNELAB_SLURM_GPUS: String(SLURM_GPUS) };
  const r = spawnSync(join(SCRIPTS, "start-local-slurm.sh"), { env, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) return `scripts/slurm/start-local-slurm.sh failed (${r.status ?? r.signal}):\n${(r.stderr ?? "").slice(-2000)}`;
  mkdirSync(LEASES, { recursive: true });
  writeFileSync(join(LEASES, String(process.pid)), "");
  if (!wasUp) writeFileSync(STARTED_BY_TESTS, "");
  return { env: { SLURM_CONF: join(SLURM_DIR, "slurm.conf"), TUNELAB_SLURM_DIR: SLURM_DIR }, startedHere: !wasUp };
}

/** Lets go of the cluster; stops it when the tests started it and no other test process holds it. */
export function stopCluster(_cluster: Cluster): void {
  rmSync(join(LEASES, String(process.pid)), { force: true });
  if (otherLeases() || !existsSync(STARTED_BY_TESTS)) return;
  rmSync(STARTED_BY_TESTS, { force: true });
  spawnSync(join(SCRIPTS, "stop-local-slurm.sh"), { env: { ...process.env, TUNELAB_SLURM_DIR: SLURM_DIR }, stdio: "ignore", timeout: 60_000 });
}

/** The real commands, recorded, so tests can assert how Slurm was driven. */
export class RecordingCli implements SlurmCli {
  readonly calls: { argv: readonly string[]; result: CommandResult }[] = [];
  private readonly real: SlurmCli;
  constructor(env: Record<string, string>) {
    this.real = execSlurmCli({ env });
  }
  async run(argv: readonly string[]): Promise<CommandResult> {
    const result = await this.real.run(argv);
    this.calls.push({ argv, result });
    return result;
  }
  /** Job ids sbatch printed, in order. */
  get jobIds(): string[] {
    return this.calls.filter((c) => c.argv[0] === "sbatch" && c.result.code === 0).map((c) => c.result.stdout.trim());
  }
  count(program: string): number {
    return this.calls.filter((c) => c.argv[0] === program).length;
  }
}

/** Runs a Slurm client command against the test cluster (scontrol requeue, scancel from outside). */
export function slurm(cluster: Cluster, ...argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { env: { ...process.env, ...cluster.env }, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

/**
 * A Node trainable: counts `steps` iterations of `acc += x`, sleeping `sleepMs`
 * each, saves a checkpoint every `ckptEvery` and resumes from TUNELAB_RESTORE;
 * appends one line per start to <trial dir>/starts.log. With RANK set
 * (a distributed trial) every rank leaves a file and rank 0 reports what it saw.
 */
const TRAINABLE = `
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
const env = process.env;
const cfg = JSON.parse(readFileSync(env.TUNELAB_CONFIG, "utf8"));
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
let it = Number(env.TUNELAB_ITERATION || 0);
let acc = env.TUNELAB_RESTORE ? Number(readFileSync(join(env.TUNELAB_RESTORE, "acc"), "utf8")) : 0;
const rank = env.RANK ?? "";
appendFileSync(join(env.TUNELAB_TRIAL_DIR, "starts.log"),
  JSON.stringify({ it, restart: env.SLURM_RESTART_COUNT ?? "0", restore: env.TUNELAB_RESTORE ?? null, rank, job: env.SLURM_JOB_ID }) + "\\n");
const extra = { cuda: env.CUDA_VISIBLE_DEVICES ?? null };
if (rank !== "") {
  const dir = join(env.TUNELAB_TRIAL_DIR, "ranks");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, rank), JSON.stringify({ world: env.WORLD_SIZE, master: env.MASTER_ADDR, port: env.MASTER_PORT }));
  while (readdirSync(dir).length < Number(env.WORLD_SIZE)) sleep(20);
  extra.ranks = readdirSync(dir).sort();
  extra.world = Number(env.WORLD_SIZE);
  extra.master = env.MASTER_ADDR ?? null;
}
while (it < cfg.steps) {
  sleep(cfg.sleepMs);
  it += 1;
  acc += cfg.x;
  let checkpoint;
  if (cfg.ckptEvery && it % cfg.ckptEvery === 0) {
    checkpoint = join(env.TUNELAB_TRIAL_DIR, ".staging", "ckpt-" + it + "-" + Date.now());
    mkdirSync(checkpoint, { recursive: true });
    writeFileSync(join(checkpoint, "acc"), String(acc));
  }
  writeSync(3, JSON.stringify(checkpoint ? { result: { acc, step: it, ...extra }, checkpoint } : { result: { acc, step: it, ...extra } }) + "\\n");
}
`;

/** A project dir holding the trainable and a tune.config.ts path for the runner. */
export function makeProject(): { dir: string; configPath: string; argv: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-slurm-test-"));
  writeFileSync(join(dir, "train.mjs"), TRAINABLE);
  const configPath = join(dir, "tune.config.ts");
  if (!existsSync(configPath)) writeFileSync(configPath, "export default {};\n");
  return { dir, configPath, argv: [process.execPath, join(dir, "train.mjs")] };
}

export interface Run {
  summary: Promise<RunSummary>;
  runner: Runner;
  cli: RecordingCli;
  results: Map<string, Result[]>;
  ends: { id: string; status: string; detail?: string }[];
  expDir: string;
}

/** Runs `config` on Slurm with the real runner; `workers` is config.resources.workers as the executor gets it. */
export function runOnSlurm(cluster: Cluster, config: Omit<TuneConfig, "trainable">, opts: { workers?: number; arrays?: boolean } = {}): Run {
  const project = makeProject();
  const cli = new RecordingCli(cluster.env);
  const executor = new SlurmExecutor({
    cli, pollMs: 500, reportPollMs: 100, log: () => undefined, ...(opts.workers ? { workers: opts.workers } : {}),
    ...(opts.arrays !== undefined ? { arrays: opts.arrays } : {}),
  });
  const results = new Map<string, Result[]>();
  const ends: Run["ends"] = [];
  const expDir = join(tempStorage(), "exp");
  const runner = new Runner({
    config: { ...config, trainable: { command: project.argv }, loggers: ["json"] } as TuneConfig,
    configPath: project.configPath, expDir, seed: 1, executor, capacity: { cpus: 100, gpus: 8 },
    callbacks: [{
      onTrialResult: (t: TrialView, r: Result) => results.set(t.id, [...(results.get(t.id) ?? []), r]),
      onTrialEnd: (t: TrialView, status: string, detail?: string) => ends.push({ id: t.id, status, ...(detail ? { detail } : {}) }),
    }],
  });
  return { summary: runner.run(), runner, cli, results, ends, expDir };
}

export const steps = (rs: readonly Result[] | undefined): number[] => (rs ?? []).map((r) => r.training_iteration as number);
export const starts = (expDir: string, trial: TrialView): Record<string, unknown>[] =>
  readFileSync(join(expDir, (trial as unknown as { dirName: string }).dirName, "starts.log"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
