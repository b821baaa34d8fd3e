/**
 * What each executor key means, per executor kind (src/engine/config.ts's
 * LocalExecutorSpec, SshExecutorSpec, SlurmExecutorSpec; docs/executors.md,
 * docs/slurm.md). The kinds share the `executor` object, so a key's meaning
 * depends on `kind`: `executorDocsAt` picks the table for the config's kind.
 */
import type { KeyPath } from "../engine/space/path.ts";
import type { OptionDoc } from "./docs.ts";

export type ExecutorKind = "local" | "ssh" | "slurm";
const KINDS: readonly ExecutorKind[] = ["local", "ssh", "slurm"];

const KIND: OptionDoc = {
  summary: 'Where trials run: `"local"` (this machine), `"ssh"` (hosts reached over ssh) or `"slurm"` (one sbatch job per trial).',
  snippet: 'kind: "${1|local,ssh,slurm|}",',
};

/** Keys of `executor` per kind; a new key or kind adds its row here. */
export const EXECUTOR_DOCS: Readonly<Record<ExecutorKind, Readonly<Record<string, OptionDoc>>>> = {
  local: {
    kind: KIND,
    cpus: { summary: "CPUs to schedule trials on.", default: "this machine's", snippet: "cpus: ${1:4}," },
    gpus: { summary: "GPUs to schedule trials on.", default: "what nvidia-smi lists (or TUNELAB_GPUS), else 0", snippet: "gpus: ${1:1}," },
  },
  ssh: {
    kind: KIND,
    hosts: { summary: "The machines trials run on, each `{ host, cpus, gpus?, workdir?, python?, address? }`; a trial goes to the first host where it fits.", snippet: 'hosts: [{ host: "${1:gpu1}", cpus: ${2:8}, gpus: ${3:0} }],' },
    sync: { summary: "What is copied from the config's folder to each host before its first trial: rsync `include` / `exclude` globs (`.tunelab/`, `.git/`, `node_modules/`, `__pycache__/` are always left out).", default: "the whole folder", snippet: 'sync: { exclude: ["${1:data/}"] },' },
    sshConfig: { summary: "An ssh_config file used instead of ~/.ssh/config (`ssh -F`).", default: "~/.ssh/config", snippet: 'sshConfig: "${1:ssh_config}",' },
    hostLostMs: { summary: "A host that answers no poll for this many milliseconds (≥ 2000) is lost: its trials fail as retryable (not counted in `maxFailures`) and restart on another host.", default: "60000", snippet: "hostLostMs: ${1:60000}," },
    checkpoints: { summary: '`"lazy"`: checkpoints stay on the host that wrote them and move only when a restore needs them elsewhere. `"eager"`: every reported checkpoint is fetched at once, so a lost host loses none.', default: '"lazy"', snippet: 'checkpoints: "${1|lazy,eager|}",' },
  },
  slurm: {
    kind: KIND,
    partition: { summary: "The Slurm partition trial jobs go to (`sbatch --partition`).", default: "the cluster's default partition", snippet: 'partition: "${1:gpu}",' },
    account: { summary: "The account jobs are charged to (`sbatch --account`).", default: "your default account", snippet: 'account: "${1:my-lab}",' },
    time: { summary: 'Time limit of each trial job (`sbatch --time`): `"30"`, `"1:00:00"`, `"2-00:00:00"`, or a number of minutes.', default: "the partition's limit", snippet: 'time: "${1:2:00:00}",' },
    gresPerTrial: { summary: 'Generic resources per trial (`sbatch --gres`), e.g. `"gpu:a100:1"`.', default: "`gpu:<resources.gpu>` when a trial has GPUs", snippet: 'gresPerTrial: "${1:gpu:1}",' },
    extraArgs: { summary: "More sbatch options, passed as they are after Tunelab's own (e.g. `--qos=high`, `--mem=16G`).", snippet: 'extraArgs: ["${1:--mem=16G}"],' },
    sharedDir: { summary: "Where job files (script, reports, exit markers) go; must be on a filesystem the login and compute nodes share at the same path.", default: "`<trial dir>/.slurm/`", snippet: 'sharedDir: "${1:/shared/tunelab-jobs}",' },
    cpusPerTrial: { summary: "CPUs per trial job (`sbatch --cpus-per-task`).", default: "resources.cpu", snippet: "cpusPerTrial: ${1:4}," },
    arrays: { summary: "Trials started together with equal sbatch options go as one job array (`sbatch --array`); `false` submits one job per trial.", default: "true", snippet: "arrays: ${1|true,false|}," },
  },
};

/** Keys of one entry of an ssh executor's `hosts`. */
export const SSH_HOST_DOCS: Readonly<Record<string, OptionDoc>> = {
  host: { summary: 'An ssh destination: a ~/.ssh/config alias or `user@host` (required).', snippet: 'host: "${1:gpu1}",' },
  cpus: { summary: "How many CPUs trials may use on this host (required).", snippet: "cpus: ${1:8}," },
  gpus: { summary: "GPUs on this host; a trial gets their ids as `CUDA_VISIBLE_DEVICES`.", default: "0", snippet: "gpus: ${1:1}," },
  workdir: { summary: "Where code and trial dirs go on the host (`~/` is the remote home).", default: "~/tunelab", snippet: 'workdir: "${1:~/tunelab}",' },
  python: { summary: "The Python interpreter on the host, for Python trainables.", default: "python3", snippet: 'python: "${1:python3}",' },
  address: { summary: "The address the other hosts reach this one by: MASTER_ADDR when rank 0 of a distributed trial runs here.", default: "the HostName `ssh -G <host>` resolves to", snippet: 'address: "${1:10.0.0.5}",' },
};

/** Keys of an ssh executor's `sync`. */
export const SSH_SYNC_DOCS: Readonly<Record<string, OptionDoc>> = {
  include: { summary: "rsync globs copied even where an exclude (or a default one) would leave them out.", snippet: 'include: ["${1:data/small/}"],' },
  exclude: { summary: "rsync globs left out of the copy, besides `.tunelab/`, `.git/`, `node_modules/` and `__pycache__/`.", snippet: 'exclude: ["${1:data/}", "${2:*.ckpt}"],' },
};

/** Where a key of one kind lives in the others, said when the kind is not known. */
const ELSEWHERE: Readonly<Record<string, string>> = {
  cpus: "ssh: per host, `hosts[].cpus`; slurm: `cpusPerTrial`",
  gpus: "ssh: per host, `hosts[].gpus`; slurm: `resources.gpu` or `gresPerTrial`",
};

/**
 * Every executor key, each summary saying which kinds have it: for when the
 * kind is missing or computed. No key is shared by kinds with two meanings
 * (`cpus`/`gpus` are local only; ssh's are per host), so one row per key holds.
 */
export const ANY_EXECUTOR_DOCS: Readonly<Record<string, OptionDoc>> = (() => {
  const out: Record<string, OptionDoc> = { kind: KIND };
  for (const kind of KINDS) {
    for (const [key, doc] of Object.entries(EXECUTOR_DOCS[kind])) {
      if (key in out) continue;
      const kinds = KINDS.filter((k) => key in EXECUTOR_DOCS[k]).map((k) => `\`${k}\``).join(", ");
      const note = ELSEWHERE[key] ? ` (${ELSEWHERE[key]})` : "";
      out[key] = { ...doc, summary: `${kinds} executor${note}: ${doc.summary}` };
    }
  }
  return out;
})();

/** The executor kind a config value names, when it is one of the known ones. */
export function executorKind(config: unknown): ExecutorKind | undefined {
  const executor = isObject(config) ? config.executor : undefined;
  const kind = isObject(executor) ? executor.kind : undefined;
  return KINDS.find((k) => k === kind);
}

/**
 * The key docs of the object at `path` inside `executor`, for the kind the
 * config names (all kinds' keys when it names none); undefined outside the
 * executor or where the path has no documented keys.
 */
export function executorDocsAt(config: unknown, path: KeyPath): Readonly<Record<string, OptionDoc>> | undefined {
  if (path[0] !== "executor") return undefined;
  const kind = executorKind(config);
  if (path.length === 1) return kind ? EXECUTOR_DOCS[kind] : ANY_EXECUTOR_DOCS;
  if (kind !== undefined && kind !== "ssh") return undefined;
  if (path.length === 2 && path[1] === "sync") return SSH_SYNC_DOCS;
  if (path.length === 3 && path[1] === "hosts" && typeof path[2] === "number") return SSH_HOST_DOCS;
  return undefined;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null;
}
