/**
 * The sbatch side of the Slurm executor, pure: the batch script a trial runs
 * as, and the sbatch argv that submits it. Every value from a config or a
 * trial goes through the one quoting function (remote-quote.ts), so nothing a
 * user writes is ever executed by the shell.
 *
 * The script's shape follows what survived scancel and requeue on a real
 * cluster (docs/slurm.md): the batch shell outlives the program, records the
 * exit code in a marker file (no accounting is needed), and on a requeued
 * run restores from the trial's latest checkpoint.
 */
import { join } from "node:path";
import { shQuote } from "./remote-quote.ts";

/** The files of one submitted attempt, all in one directory on the shared filesystem. */
export interface JobFiles {
  dir: string;
  script: string;
  /** Report lines (the trial's fd 3), appended across requeued runs. */
  reports: string;
  /** One line per run of the job: `<restart count> <reports offset> <iteration> <host> <job id>`. */
  runs: string;
  /** The exit code of the last run (tmp + mv, so it is never half-written). */
  exit: string;
  /** Written by the runner before sbatch; a job that cannot see it is not on a shared filesystem. */
  probe: string;
}

export function jobFiles(dir: string): JobFiles {
  return {
    dir, script: join(dir, "job.sh"), reports: join(dir, "reports.jsonl"), runs: join(dir, "runs"),
    exit: join(dir, "exit"), probe: join(dir, "probe"),
  };
}

/** Exit code of a job that could not see its probe file (not a shared filesystem). */
export const NOT_SHARED_EXIT = 97;

export interface BatchScriptSpec {
  trialId: string;
  argv: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  trialDir: string;
  files: JobFiles;
  /** > 1: a distributed trial, one srun task per worker; only rank 0 reports. */
  workers: number;
  /** Whether the job asks for GPUs; if not, an inherited CUDA_VISIBLE_DEVICES is emptied (as Ray does). */
  gpus: boolean;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The checkpoint to restore from on a requeued run: the trial dir's highest `checkpoint_<N>`. */
const RESTORE_ON_REQUEUE = `
# A requeued run (preemption, scontrol requeue) starts from the latest checkpoint the runner kept.
if [ "$restart" != 0 ]; then
  best=-1
  for d in "$T"/checkpoint_*; do
    n=\${d##*/checkpoint_}
    [[ -d $d && $n =~ ^[0-9]+$ ]] || continue
    if ((10#$n > best)); then best=$((10#$n)); TUNELAB_RESTORE=$d; fi
  done
  if ((best >= 0)); then export TUNELAB_RESTORE; export TUNELAB_ITERATION=$best; fi
fi`;

/** Per-task wrapper under srun: torchrun's variables, and the report channel for rank 0 only. */
const TASK_WRAPPER =
  'export RANK=$SLURM_PROCID LOCAL_RANK=$SLURM_LOCALID WORLD_SIZE=$SLURM_NTASKS; ' +
  'if [ "$RANK" = 0 ]; then exec 3>>"$TUNELAB_SLURM_REPORTS"; else exec 3>/dev/null; fi; exec "$@"';

/** The batch script of one trial attempt. */
export function batchScript(spec: BatchScriptSpec): string {
  const { files } = spec;
  const q = shQuote;
  const lines = [
    "#!/usr/bin/env bash",
    "# Written by Tunelab for one trial attempt; see docs/slurm.md.",
    "set -u",
    `J=${q(files.dir)}`,
    `T=${q(spec.trialDir)}`,
    "# Slurm TERMs every process of the job: the shell outlives the program to record its exit code.",
    "trap : TERM",
    "# --signal=B:USR1 reaches this shell only: pass it on.",
    "trap 'kill -USR1 $pid 2>/dev/null' USR1",
    "# A requeued job runs again under the same id: the killed run's marker is stale.",
    'rm -f "$J/exit"',
    'if [ ! -e "$J/probe" ]; then',
    `  echo "tunelab: trial ${spec.trialId}: $J/probe, written by the runner, is not visible on $(hostname):" \\`,
    '    "the experiment directory must be on a filesystem shared with the compute nodes (docs/slurm.md)" >&2',
    `  exit ${NOT_SHARED_EXIT}`,
    "fi",
    `cd ${q(spec.cwd)} || exit 98`,
  ];
  for (const [name, value] of Object.entries(spec.env)) {
    if (!ENV_NAME.test(name)) continue; // not a variable bash can export; launch env never has one
    lines.push(`export ${name}=${q(value)}`);
  }
  if (!spec.gpus) lines.push("export CUDA_VISIBLE_DEVICES=");
  lines.push(
    "export TUNELAB_REPORT_FD=3",
    'export TUNELAB_SLURM_REPORTS="$J/reports.jsonl"',
    "restart=${SLURM_RESTART_COUNT:-0}",
    RESTORE_ON_REQUEUE.trim(),
    'R="$J/reports.jsonl"',
    'touch "$R"',
    "# A killed run may have left half a line: the previous run ends at this offset (the reader",
    "# drops the half line there); the runs line comes first, then a newline starts this run's lines.",
    'off=$(stat -c %s "$R")',
    "# The job id as Tunelab's handle names it (<array id>_<task> for an array task), for whoever debugs.",
    'jid=${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID:-}}; jid=${jid:-${SLURM_JOB_ID:-none}}',
    'printf "%s %s %s %s %s\\n" "$restart" "$off" "${TUNELAB_ITERATION:-0}" "$(hostname)" "$jid" >> "$J/runs"',
    'if [ -n "$(tail -c 1 "$R")" ]; then printf "\\n" >> "$R"; fi',
  );
  const program = spec.argv.map((a) => q(a, `trial ${spec.trialId}'s command`)).join(" ");
  if (spec.workers > 1) {
    lines.push(
      'MASTER_ADDR=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)',
      "export MASTER_ADDR MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))",
      `srun --kill-on-bad-exit=1 bash -c ${q(TASK_WRAPPER)} tunelab-task ${program} &`,
    );
  } else {
    lines.push(`${program} 3>>"$R" &`);
  }
  lines.push(
    "pid=$!",
    "wait $pid; rc=$?",
    "# wait returns early when a trapped signal arrives: wait again until the program is gone.",
    "while kill -0 $pid 2>/dev/null; do wait $pid; rc=$?; done",
    'echo $rc > "$J/exit.tmp" && mv "$J/exit.tmp" "$J/exit"',
    "exit $rc",
    "",
  );
  return lines.join("\n");
}

export interface SbatchOptions {
  trialId: string;
  /** --job-name; default `tunelab-<trialId>`. */
  jobName?: string;
  /** Submits a job array of this many tasks (`--array=0-<n-1>`); the script picks its trial by index. */
  arraySize?: number;
  partition?: string;
  account?: string;
  /** --time, as Slurm reads it ("30", "1:00:00", "2-00:00:00"). */
  time?: string;
  /** --gres, e.g. "gpu:1" or "gpu:a100:2"; default from the trial's GPUs. */
  gres?: string;
  cpusPerTask: number;
  workers: number;
  /** Raw sbatch options, appended last (they win). */
  extraArgs?: readonly string[];
  stdoutPath: string;
  stderrPath: string;
  script: string;
}

/** The GPUs a trial asks Slurm for: `gresPerTrial` when given, else `gpu:<ceil(gpu)>` (none for 0). */
export function gresFor(gpu: number, gresPerTrial: string | undefined): string | undefined {
  if (gresPerTrial !== undefined) return gresPerTrial === "" ? undefined : gresPerTrial;
  return gpu > 0 ? `gpu:${Math.ceil(gpu)}` : undefined;
}

/** The sbatch argv that submits one attempt (argv, never a shell string). */
export function sbatchArgv(o: SbatchOptions): string[] {
  const argv = [
    "sbatch", "--parsable", `--job-name=${o.jobName ?? `tunelab-${o.trialId}`}`,
    ...(o.arraySize !== undefined ? [`--array=0-${o.arraySize - 1}`] : []),
    `--output=${o.stdoutPath}`, `--error=${o.stderrPath}`, "--open-mode=append",
    "--requeue", `--cpus-per-task=${Math.max(1, Math.ceil(o.cpusPerTask))}`,
  ];
  if (o.workers > 1) argv.push(`--ntasks=${o.workers}`);
  if (o.partition) argv.push(`--partition=${o.partition}`);
  if (o.account) argv.push(`--account=${o.account}`);
  if (o.time) argv.push(`--time=${o.time}`);
  // A distributed trial's GPUs are per worker (task), wherever Slurm places it.
  const perTask = o.workers > 1 && o.gres ? /^gpu:(.+)$/.exec(o.gres) : null;
  if (perTask) argv.push(`--gpus-per-task=${perTask[1]}`);
  else if (o.gres) argv.push(`--gres=${o.gres}`);
  argv.push(...(o.extraArgs ?? []), o.script);
  return argv;
}
