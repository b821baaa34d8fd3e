/**
 * The runner killed with -9 while its trials run as Slurm jobs (one array of two tasks), then `tunelab resume`: the
 * jobs keep running on the cluster, the resumed runner re-attaches to the same job ids through
 * their journaled handles (no second sbatch), and every result lands in the journal exactly
 * once, for a job that ended while no runner watched it and for one still running. Real CLI, real single-node cluster (slurm-cluster.ts); skipped, saying why, only
 * where the cluster cannot be started (not root).
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseRuns } from "../../src/engine/executors/slurm-parse.ts";
import type { SlurmHandle } from "../../src/engine/executors/slurm-trial.ts";
import { BEHAVIOURS, eventsOf, journal, journalLines, runCli, startCli, stateOf, tempStorage, waitFor, waitForExperiment } from "./helpers.ts";
import { SLURM_DIR, slurm, startCluster, stopCluster, type Cluster } from "./slurm-cluster.ts";

// One trial ends while no runner watches it (the resume finds an ended job), the other runs on.
const SHORT = 15;
const LONG = 60;
const started = startCluster();
const skip = typeof started === "string" ? `Slurm is not available here: ${started}` : false;
if (skip) process.stderr.write(`# ${skip}\n`);
const storage = tempStorage();

after(() => {
  if (typeof started !== "string") stopCluster(started);
  rmSync(storage, { recursive: true, force: true });
});

const of = eventsOf;

/**
 * The jobs the cluster finished (jobcomp/filetxt: one line per job or array task, no accounting
 * needed), by the id Tunelab's handles use: `<array id>_<task>` for an array task.
 */
function finishedJobs(): { id: string; name: string; state: string }[] {
  const path = join(SLURM_DIR, "log", "jobcomp.log");
  if (!existsSync(path)) return [];
  const field = (line: string, name: string): string => new RegExp(`\\b${name}=(\\S+)`).exec(line)?.[1] ?? "";
  return readFileSync(path, "utf8").split("\n").filter(Boolean).map((line) => ({
    id: field(line, "ArrayJobId") ? `${field(line, "ArrayJobId")}_${field(line, "ArrayTaskId")}` : field(line, "JobId"),
    name: field(line, "Name"), state: field(line, "JobState"),
  }));
}

test("kill -9 of the runner, then resume: the Slurm jobs are re-attached by id, not submitted again; each result once", { skip, timeout: 240_000 }, async () => {
  const cluster = started as Cluster;
  // The CLI's Slurm commands find the test cluster through SLURM_CONF (startCli passes process.env).
  Object.assign(process.env, cluster.env);
  const overrides = { concurrency: 2, executor: { kind: "slurm" }, space_extra: { iters: { __tunelab: "grid", values: [SHORT, LONG] }, sleep: 0.2 }, samples: 1 };
  const { child, done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], overrides);
  const dir = await waitForExperiment(storage, (events) => {
    const ids = of(events, "start").map((s) => s.id);
    return ids.length === 2 && ids.every((id) => of(events, "handle", id).length === 1 && of(events, "result", id).length >= 3);
  }, "both trials running as Slurm jobs with a journaled handle and 3 results each", 120_000);
  child.kill("SIGKILL");
  await done;

  const before = journalLines(dir);
  const beforeEvents = journal(dir);
  const handles = new Map(of(beforeEvents, "handle").map((e) => [e.id, e.handle as SlurmHandle]));
  assert.equal(handles.size, 2);
  const queue = slurm(cluster, "squeue", "--noheader", "--states=all", `--jobs=${[...handles.values()].map((h) => h.jobId).join(",")}`, "--format=%i %T");
  const itersOf = new Map(of(beforeEvents, "trial").map((e) => [e.id, e.config.iters as number]));
  for (const [id, h] of handles) {
    assert.equal(h.kind, "slurm");
    assert.match(queue, new RegExp(`^${h.jobId} RUNNING$`, "m"), `${id}'s job ${h.jobId} outlived the runner: ${queue}`);
    assert.ok(of(beforeEvents, "result", id).length < itersOf.get(id)!, `${id} was still mid-run when the runner died`);
  }
  assert.deepEqual(stateOf(dir).trials.map((s) => s.status), ["RUNNING", "RUNNING"]);
  const short = [...handles].find(([id]) => itersOf.get(id) === SHORT)![1];
  await waitFor(() => existsSync(join(short.jobDir, "exit")), `the ${SHORT}-iteration job ${short.jobId} to finish without a runner`, 60_000);

  const resumed = await runCli(["resume", dir, "--quiet"], overrides);
  assert.equal(resumed.code, 0, resumed.stderr);
  const afterLines = journalLines(dir);
  assert.deepEqual(afterLines.slice(0, before.length), before, "the journal before the crash is a prefix of the final one");

  const events = journal(dir);
  const state = stateOf(dir);
  const jobs = finishedJobs();
  assert.equal(state.trials.length, 2);
  // Both trials were started in one pass: one array of two tasks, and no other job of this experiment.
  const runId = state.trials[0]!.id.split("_")[0]!;
  const ours = jobs.filter((j) => j.name.startsWith(`tunelab-${runId}_`));
  assert.deepEqual(ours.map((j) => j.id).sort(), [...handles.values()].map((h) => h.jobId).sort(), "the cluster ran exactly the journaled jobs");
  assert.ok([...handles.values()].every((h) => /^\d+_[01]$/.test(h.jobId)), "the two trials were one array");
  for (const trial of state.trials) {
    const id = trial.id;
    const h = handles.get(id)!;
    assert.equal(trial.status, "TERMINATED", trial.error);
    assert.equal(of(events, "end", id).filter((e) => e.status === "TERMINATED").length, 1, `${id} ended TERMINATED once`);
    assert.equal(of(events, "start", id).length, 1, `${id} was re-attached, not started a second time`);
    const again = of(events, "handle", id).filter((e) => e.reattached);
    assert.equal(again.length, 1, `${id} has one handle event with reattached: true`);
    assert.deepEqual(again[0]!.handle, h, `${id} re-attached to the same job and job dir`);
    // No second sbatch: the journaled job finished once, it ran once (one line in its runs file,
    // naming it) and left its exit marker.
    assert.deepEqual(jobs.filter((j) => j.id === h.jobId).map((j) => j.state), ["COMPLETED"], `${id}: its journaled job ${h.jobId} finished once`);
    assert.deepEqual(parseRuns(readFileSync(join(h.jobDir, "runs"), "utf8")).map((r) => r.jobId), [h.jobId], `${id}'s job ran once`);
    assert.equal(readFileSync(join(h.jobDir, "exit"), "utf8").trim(), "0");
    assert.deepEqual(readdirSync(join(h.jobDir, "..")), ["attempt-1"], `${id}: no second attempt was submitted`);
    const iters = itersOf.get(id)!;
    const all = Array.from({ length: iters }, (_, i) => i + 1);
    const iterations = of(events, "result", id).map((e) => e.r.training_iteration);
    assert.deepEqual(iterations, all, `${id}: every iteration once, in order`);
    // The job dir is <trial dir>/.slurm/attempt-1.
    const file = readFileSync(join(h.jobDir, "..", "..", "result.json"), "utf8").trim().split("\n").map((l) => (JSON.parse(l) as { training_iteration: number }).training_iteration);
    assert.deepEqual(file, all, `${id}: result.json holds every iteration once`);
    assert.equal(trial.lastResult?.training_iteration, iters);
  }
});
