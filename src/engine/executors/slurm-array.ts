/**
 * Job arrays, pure: which trials started together can share one `sbatch --array`, and the files
 * such an array is made of. Each trial keeps its own job dir and job.sh (slurm-script.ts), so a
 * task runs exactly what a single job would; the array adds only a dispatcher script and, per
 * task index, links in the array dir to that task's job dir and logs:
 *
 *   <array dir>/array.sh     exec bash "$A/$SLURM_ARRAY_TASK_ID/job.sh"
 *   <array dir>/<i>       -> the job dir of trial i
 *   <array dir>/<i>.out   -> trial i's stdout.log   (sbatch --output=<array dir>/%a.out)
 *   <array dir>/<i>.err   -> trial i's stderr.log   (sbatch --error=<array dir>/%a.err)
 *
 * Slurm opens the log links itself, so what it writes (a cancel, a time limit) lands in the
 * trial's stderr.log as for a single job.
 */
import { join } from "node:path";
import { shQuote } from "./remote-quote.ts";
import { NOT_SHARED_EXIT, type SbatchOptions } from "./slurm-script.ts";

/** Slurm's default MaxArraySize is 1001 (indices 0..1000); larger batches are split. */
export const MAX_ARRAY_TASKS = 1000;

export interface ArrayFiles {
  dir: string;
  script: string;
  /** sbatch --output / --error patterns; `%a` is the task index. */
  stdoutPattern: string;
  stderrPattern: string;
}

export function arrayFiles(dir: string): ArrayFiles {
  return { dir, script: join(dir, "array.sh"), stdoutPattern: join(dir, "%a.out"), stderrPattern: join(dir, "%a.err") };
}

export interface ArrayTask {
  jobDir: string;
  stdoutPath: string;
  stderrPath: string;
}

/** The links the runner creates in the array dir before sbatch: `[link path, target]`. */
export function arrayLinks(dir: string, tasks: readonly ArrayTask[]): [string, string][] {
  return tasks.flatMap((t, i): [string, string][] => [
    [join(dir, String(i)), t.jobDir], [join(dir, `${i}.out`), t.stdoutPath], [join(dir, `${i}.err`), t.stderrPath],
  ]);
}

/** The dispatcher every task of the array runs: it becomes its trial's own job.sh. */
export function arrayScript(dir: string): string {
  return [
    "#!/usr/bin/env bash",
    "# Written by Tunelab: one task per trial; task i runs the job script of the trial linked as $A/i (docs/slurm.md).",
    "set -u",
    `A=${shQuote(dir)}`,
    'i=${SLURM_ARRAY_TASK_ID:?this script runs as a task of a Slurm job array}',
    'if [ ! -r "$A/$i/job.sh" ]; then',
    '  echo "tunelab: array task $i: $A/$i/job.sh, written by the runner, is not visible on $(hostname):" \\',
    '    "the experiment directory must be on a filesystem shared with the compute nodes (docs/slurm.md)" >&2',
    `  exit ${NOT_SHARED_EXIT}`,
    "fi",
    'exec bash "$A/$i/job.sh"',
    "",
  ].join("\n");
}

/** The id Slurm (squeue, scancel, scontrol requeue) knows task `index` of array `arrayJobId` by. */
export function arrayTaskId(arrayJobId: string, index: number): string {
  return `${arrayJobId}_${index}`;
}

/** What must be equal for two submissions to share an array: every sbatch option but the per-trial ones. */
export function arrayKey(o: SbatchOptions): string {
  const { trialId: _t, jobName: _n, arraySize: _a, stdoutPath: _o, stderrPath: _e, script: _s, ...shared } = o;
  const sorted = Object.fromEntries(Object.entries(shared).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
  return JSON.stringify(sorted);
}

/**
 * Splits submissions into what one sbatch each carries, in order of first appearance: runs of
 * equal options become arrays of at most `maxTasks`; a submission alone in its kind stays a
 * single job (an array of one buys nothing and names the job less clearly).
 */
export function groupSubmissions<T>(items: readonly T[], optionsOf: (item: T) => SbatchOptions, maxTasks = MAX_ARRAY_TASKS): T[][] {
  const byKey = new Map<string, T[]>();
  for (const item of items) {
    const key = arrayKey(optionsOf(item));
    byKey.set(key, [...(byKey.get(key) ?? []), item]);
  }
  const groups: T[][] = [];
  for (const same of byKey.values()) {
    for (let i = 0; i < same.length; i += Math.max(1, maxTasks)) groups.push(same.slice(i, i + Math.max(1, maxTasks)));
  }
  return groups;
}

/** The sbatch options of an array of `group` (their shared options; logs and name are the array's). */
export function arraySbatchOptions(group: readonly SbatchOptions[], files: ArrayFiles): SbatchOptions {
  const first = group[0]!;
  return {
    ...first, jobName: `tunelab-${first.trialId}+${group.length - 1}`, arraySize: group.length,
    stdoutPath: files.stdoutPattern, stderrPath: files.stderrPattern, script: files.script,
  };
}
