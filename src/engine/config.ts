/**
 * The shape of `tune.config.ts`. Everything is plain data except functions a
 * user may pass (sampleFrom, function stoppers, callbacks), so the language
 * server can read the same shape from the syntax tree.
 */
import type { Space } from "./space/domains.ts";
import type { StopSpec } from "./stoppers/specs.ts";
import type { TuneCallback } from "./loggers/callbacks.ts";

/** A command trainable: any program that speaks the report protocol (docs/protocol.md). */
export interface CommandTrainable {
  command: readonly string[];
  /** Working directory, relative to the config file. Default: the config file's directory. */
  cwd?: string;
  env?: Readonly<Record<string, string>>;
}

/** A Python function (`module:function`) or class (`module:Class`) trainable run by the bundled `tunelab` package. */
export interface PythonTrainable {
  python: string;
  /** The interpreter. Default: `python3`. */
  interpreter?: string;
  cwd?: string;
  env?: Readonly<Record<string, string>>;
}

export type TrainableSpec = CommandTrainable | PythonTrainable;

export type Mode = "min" | "max";

export interface SearchSpec {
  kind: string;
  seed?: number;
  [option: string]: unknown;
}

export interface SchedulerSpec {
  kind: string;
  [option: string]: unknown;
}

export interface ResourcesSpec {
  cpu?: number;
  /** Fractions share one GPU between trials (0.5 = two trials per GPU). */
  gpu?: number;
  /**
   * A distributed trial: this many processes, each with `cpu`/`gpu`, started with
   * MASTER_ADDR, MASTER_PORT, RANK, LOCAL_RANK, WORLD_SIZE; only rank 0 reports. Default 1.
   */
  workers?: number;
}

export interface CheckpointSpec {
  /** Keep the best `keep` checkpoints by `scoreAttr`, plus always the latest. Default: keep all. */
  keep?: number;
  scoreAttr?: string;
  scoreOrder?: Mode;
  /** Class trainables: save every N steps (0 = never). */
  frequency?: number;
  /** Class trainables: save when the trial ends. */
  atEnd?: boolean;
}

export interface LocalExecutorSpec {
  kind: "local";
  /** CPUs to schedule on. Default: the machine's. */
  cpus?: number;
  /** GPUs to schedule on. Default: what `nvidia-smi` lists, else 0. */
  gpus?: number;
}

export interface SshHostSpec {
  /** An ssh destination: a ~/.ssh/config alias or user@host. */
  host: string;
  cpus: number;
  gpus?: number;
  /** Where code and trial dirs go on the host (`~/` is the remote home). Default `~/tunelab`. */
  workdir?: string;
  /** The Python interpreter on the host, for Python trainables. Default `python3`. */
  python?: string;
  /**
   * The address the other hosts reach this one by, used as MASTER_ADDR when rank 0 of a
   * distributed trial runs here. Default: the HostName `ssh -G <host>` resolves to.
   */
  address?: string;
}

export interface SshExecutorSpec {
  kind: "ssh";
  hosts: readonly SshHostSpec[];
  /** What is copied from the config's folder to each host before trials start (rsync filter globs). */
  sync?: { include?: readonly string[]; exclude?: readonly string[] };
  /** An ssh_config file used instead of ~/.ssh/config (passed as `ssh -F`); relative to the config file's folder. */
  sshConfig?: string;
  /**
   * A host that answers no poll for this long (ms) is lost: its trials fail as retryable and
   * restart on another host. Default 60000.
   */
  hostLostMs?: number;
  /**
   * "lazy" (default): checkpoints stay on the host that wrote them and move only when a restore
   * needs them elsewhere. "eager": every reported checkpoint is fetched at once, so a lost host
   * loses none of them.
   */
  checkpoints?: "lazy" | "eager";
  /** Capacity comes from `hosts`; these stay unset (so `executor.cpus` reads as undefined for every kind). */
  cpus?: never;
  gpus?: never;
}

/** One sbatch job per trial on a Slurm cluster; the experiment's storage must be on a shared filesystem (docs/slurm.md). */
export interface SlurmExecutorSpec {
  kind: "slurm";
  partition?: string;
  account?: string;
  /** Time limit per trial job: sbatch --time ("30", "1:00:00", "2-00:00:00"), or a number of minutes. */
  time?: string | number;
  /** sbatch --gres per trial (or per worker), e.g. "gpu:a100:1". Default: `gpu:<resources.gpu>` when the trial has GPUs. */
  gresPerTrial?: string;
  /** More sbatch options, passed as they are (e.g. ["--qos=high", "--mem=16G"]). */
  extraArgs?: readonly string[];
  /** Where the job files (script, reports, exit markers) go, on the shared filesystem. Default: inside each trial dir. */
  sharedDir?: string;
  /** sbatch --cpus-per-task. Default: resources.cpu. */
  cpusPerTrial?: number;
  /** Trials started together with equal sbatch options go as one job array (`sbatch --array`). Default true. */
  arrays?: boolean;
  cpus?: never;
  gpus?: never;
}

export type ExecutorSpec = LocalExecutorSpec | SshExecutorSpec | SlurmExecutorSpec;

export interface TuneConfig {
  name?: string;
  trainable: TrainableSpec;
  space?: Space;
  metric?: string;
  mode?: Mode;
  /** num_samples: how many times the space is sampled (× every grid combination). Default 1. */
  samples?: number;
  search?: SearchSpec;
  scheduler?: SchedulerSpec;
  stop?: StopSpec;
  /** Wall-clock budget of the whole experiment, seconds. */
  timeBudgetS?: number;
  /** max_concurrent_trials. Default: as many as resources allow. */
  concurrency?: number;
  resources?: ResourcesSpec;
  checkpoints?: CheckpointSpec;
  /** Retries of a failed trial (from its latest checkpoint). Default 0; -1 = forever. */
  maxFailures?: number;
  /** Where experiment dirs go, relative to the config file. Default `.tunelab`. */
  storage?: string;
  executor?: ExecutorSpec;
  /** Seconds between SIGTERM and SIGKILL when a trial is stopped. Default 5. */
  stopGraceS?: number;
  seed?: number;
  /** Run Python trainables in warm workers that import the module once (docs/workers.md). Default true. */
  reuseWorkers?: boolean;
  /** Per-trial loggers (docs/loggers.md). result.json and progress.csv are always written; "tensorboard" adds event files. Default: all three. */
  loggers?: readonly ("json" | "csv" | "tensorboard")[];
  /** User callbacks (docs/loggers.md); they run in the runner process and never stop it by throwing. */
  callbacks?: readonly TuneCallback[];
}

/** Identity, typed: `export default defineConfig({...})`. */
export function defineConfig(config: TuneConfig): TuneConfig {
  return config;
}
