/**
 * Reading Slurm's answers, pure: the job id sbatch printed, one batched
 * squeue poll, and what a job state means for a trial. Also the argv of
 * squeue and scancel, so every Slurm command line is built in one place.
 */

/** Job ids are digits, or `<array id>_<task>` for an array task. */
const JOB_ID = /^\d+(_\d+)?$/;

/** The job id from `sbatch --parsable` output (`123` or `123;cluster`); an error names what came back. */
export function parseSbatchJobId(stdout: string): string {
  const line = stdout.trim().split("\n").at(-1)?.trim() ?? "";
  const id = line.split(";")[0] ?? "";
  if (!JOB_ID.test(id)) throw new Error(`sbatch did not print a job id (got ${JSON.stringify(stdout.trim().slice(0, 200))})`);
  return id;
}

/**
 * One squeue call for every job: `-t all` so finished jobs still show (the default filter hides
 * them), `--array` so an array's pending tasks get a row each instead of one `12_[0-9]` row.
 */
export function squeueArgv(jobIds: readonly string[]): string[] {
  return ["squeue", "--noheader", "--array", "--states=all", `--jobs=${jobIds.join(",")}`, "--format=%i %T %r"];
}

export interface SqueueRow {
  state: string;
  reason: string;
}

/**
 * Parses `squeue --format='%i %T %r'`; ids missing from the answer have been purged (read their
 * markers). A row of pending array tasks collapsed as `12_[2-4,7]` stands for each of them.
 */
export function parseSqueue(stdout: string): Map<string, SqueueRow> {
  const rows = new Map<string, SqueueRow>();
  for (const line of stdout.split("\n")) {
    const [id, state, ...reason] = line.trim().split(/\s+/);
    if (!id || !state) continue;
    const row = { state: state.toUpperCase(), reason: reason.join(" ") };
    for (const one of JOB_ID.test(id) ? [id] : expandArrayTasks(id)) rows.set(one, row);
  }
  return rows;
}

/** Task ranges squeue collapses (`12_[0-3,7,9-10%4]`, `%` a throttle) as ids `12_0`...; [] when not such a range. */
export function expandArrayTasks(id: string): string[] {
  const m = /^(\d+)_\[([\d,-]+)(?:%\d+)?\]$/.exec(id);
  if (!m) return [];
  const ids: string[] = [];
  for (const part of m[2]!.split(",")) {
    const [a, b = a] = part.split("-").map(Number);
    // A malformed or absurd range is not a job we submitted: leave it out rather than loop.
    if (!Number.isInteger(a) || !Number.isInteger(b) || b! < a! || b! - a! > 100_000) continue;
    for (let i = a!; i <= b!; i++) ids.push(`${m[1]}_${i}`);
  }
  return ids;
}

/** squeue exits 1 with this when no id in the list is known: all of them have been purged. */
export function isUnknownJobsError(stderr: string): boolean {
  return /Invalid job id specified/i.test(stderr);
}

/** How the executor reads a job state. */
export type JobPhase = "waiting" | "running" | "ending" | "ended";

const WAITING = new Set(["PENDING", "CONFIGURING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD", "SUSPENDED", "STOPPED", "RESIZING"]);
const RUNNING = new Set(["RUNNING", "SIGNALING", "STAGE_OUT"]);
const ENDING = new Set(["COMPLETING"]);

/** Unknown states count as still alive: the job is gone only when squeue says so. */
export function jobPhase(state: string): JobPhase {
  if (WAITING.has(state)) return "waiting";
  if (RUNNING.has(state)) return "running";
  if (ENDING.has(state)) return "ending";
  return ENDED.has(state) ? "ended" : "running";
}

const ENDED = new Set([
  "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL",
  "DEADLINE", "PREEMPTED", "REVOKED", "SPECIAL_EXIT",
]);

/**
 * Why a job that ended this way is not the trial's own failure, or undefined
 * when its exit code tells the story (COMPLETED, FAILED). These trials are
 * retried: the cluster took them away.
 */
export function externalEndReason(state: string, jobId: string): string | undefined {
  switch (state) {
    case "CANCELLED":
      return `Slurm job ${jobId} was cancelled outside Tunelab (scancel by a user or an administrator)`;
    case "TIMEOUT":
      return `Slurm job ${jobId} reached its time limit (executor.time); raise it, or save checkpoints so a retry resumes`;
    case "PREEMPTED":
      return `Slurm job ${jobId} was preempted`;
    case "NODE_FAIL":
    case "BOOT_FAIL":
      return `Slurm job ${jobId} ended with ${state}: its node failed`;
    case "DEADLINE":
      return `Slurm job ${jobId} missed its deadline`;
    case "OUT_OF_MEMORY":
      return undefined; // the trial's own doing: its code tells
    default:
      return undefined;
  }
}

/** `scancel` of one or more jobs; with a signal, only that signal goes to the batch shell and its children. */
export function scancelArgv(jobIds: readonly string[], signal?: string): string[] {
  return signal ? ["scancel", "--full", `--signal=${signal}`, ...jobIds] : ["scancel", ...jobIds];
}

/** One line of the job's `runs` file. */
export interface RunStart {
  restartCount: number;
  /** Byte offset in the reports file where this run's lines begin. */
  offset: number;
  /** The iteration this run resumed at. */
  iteration: number;
  host: string;
  /** The job (or `<array id>_<task>`) that ran it; absent in files of older runs. */
  jobId?: string;
}

/** Parses the `runs` file; a last line without its newline is still being written and is left out. */
export function parseRuns(text: string): RunStart[] {
  const complete = text.endsWith("\n") ? text : text.slice(0, text.lastIndexOf("\n") + 1);
  const runs: RunStart[] = [];
  for (const line of complete.split("\n")) {
    const [r, o, i, host, jobId] = line.trim().split(/\s+/);
    if (r === undefined || o === undefined || i === undefined) continue;
    const nums = [r, o, i].map(Number);
    if (nums.some((n) => !Number.isInteger(n) || n < 0)) continue;
    runs.push({ restartCount: nums[0]!, offset: nums[1]!, iteration: nums[2]!, host: host ?? "", ...(jobId && JOB_ID.test(jobId) ? { jobId } : {}) });
  }
  return runs;
}
