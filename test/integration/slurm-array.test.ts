/**
 * Job arrays on a real single-node Slurm cluster (2 CPUs): trials the runner starts together
 * go as one `sbatch --array`, and each task still behaves as its trial's own job: polled in one
 * squeue (pending tasks included), requeued, cancelled and stopped one by one.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseRuns } from "../../src/engine/executors/slurm-parse.ts";
import type { TrialView } from "../../src/engine/interfaces.ts";
import { grid } from "../../src/engine/space/domains.ts";
import { waitFor } from "./helpers.ts";
import { runOnSlurm, slurm, starts, startCluster, steps, stopCluster, type Cluster, type Run } from "./slurm-cluster.ts";

const started = startCluster();
const skip = typeof started === "string" ? `Slurm is not available here: ${started}` : false;
if (skip) process.stderr.write(`# ${skip}\n`);

const sbatches = (r: Run) => r.cli.calls.filter((c) => c.argv[0] === "sbatch");
/** The job id each run of the trial's first attempt wrote in its runs file. */
const runIds = (r: Run, t: TrialView): (string | undefined)[] =>
  parseRuns(readFileSync(join(r.expDir, (t as unknown as { dirName: string }).dirName, ".slurm", "attempt-1", "runs"), "utf8")).map((x) => x.jobId);
const resultsOf = (r: Run, i: number): number => r.results.get(r.runner.trialViews[i]?.id ?? "")?.length ?? 0;

describe("Slurm job arrays on a real cluster", { skip, timeout: 170_000 }, () => {
  const cluster = started as Cluster;
  after(() => stopCluster(cluster));

  it("four trials started together: one sbatch --array=0-3, tasks beyond the 2 CPUs wait pending, every result once", async () => {
    const r = runOnSlurm(cluster, { space: { x: grid([1, 2, 3, 4]), steps: 4, sleepMs: 150 }, concurrency: 4 });
    const summary = await r.summary;
    assert.equal(summary.outcome, "completed", summary.message);
    assert.equal(sbatches(r).length, 1);
    assert.ok(sbatches(r)[0]!.argv.includes("--array=0-3"));
    const arrayId = r.cli.jobIds[0]!;
    summary.trials.forEach((t, i) => {
      assert.equal(t.status, "TERMINATED");
      assert.deepEqual(steps(r.results.get(t.id)), [1, 2, 3, 4]);
      assert.equal(r.results.get(t.id)!.at(-1)!.acc, 4 * (t.config.x as number));
      assert.deepEqual(runIds(r, t), [`${arrayId}_${i}`], `trial ${t.id} ran once, as task ${i}`);
    });
    const squeues = r.cli.calls.filter((c) => c.argv[0] === "squeue");
    assert.ok(squeues.some((c) => /_\d+ PENDING/.test(c.result.stdout)), "a poll saw waiting tasks");
    assert.ok(squeues.every((c) => c.argv.some((a) => a.startsWith("--jobs=") && a.includes(`${arrayId}_`))), "polled by task id");
  });

  it("scontrol requeue of one task: that trial resumes from its checkpoint, each iteration once; the other task is untouched", async () => {
    const r = runOnSlurm(cluster, { space: { x: grid([5, 7]), steps: 14, sleepMs: 250, ckptEvery: 2 }, concurrency: 2 });
    await waitFor(() => resultsOf(r, 1) >= 5, "5 results of the second trial before the requeue", 60_000);
    const arrayId = r.cli.jobIds[0]!;
    slurm(cluster, "scontrol", "requeue", `${arrayId}_1`);
    const summary = await r.summary;
    const [first, second] = summary.trials;
    for (const t of summary.trials) {
      assert.equal(t.status, "TERMINATED", JSON.stringify(r.ends));
      const rs = r.results.get(t.id)!;
      assert.deepEqual(steps(rs), Array.from({ length: 14 }, (_, i) => i + 1), `${t.id}: each iteration exactly once`);
      assert.deepEqual(rs.map((x) => x.acc), steps(rs).map((i) => (t.config.x as number) * i), "state carried over by the checkpoint");
    }
    assert.deepEqual(runIds(r, first!), [`${arrayId}_0`]);
    assert.deepEqual(runIds(r, second!), [`${arrayId}_1`, `${arrayId}_1`], "task 1 ran again under its own id");
    const again = starts(r.expDir, second!)[1]!;
    assert.equal(again.restart, "1");
    assert.ok((again.it as number) >= 4 && (again.it as number) % 2 === 0, `resumed at a checkpoint: ${JSON.stringify(again)}`);
    assert.equal(sbatches(r).length, 1, "the requeue was Slurm's, not a new submission");
  });

  it("scancel of one task from outside: only that trial fails as cancelled and is retried from its checkpoint", async () => {
    const r = runOnSlurm(cluster, { space: { x: grid([1, 3]), steps: 10, sleepMs: 200, ckptEvery: 2 }, concurrency: 2, maxFailures: 1 });
    await waitFor(() => resultsOf(r, 0) >= 3, "3 results of the first trial before the scancel", 60_000);
    const arrayId = r.cli.jobIds[0]!;
    slurm(cluster, "scancel", `${arrayId}_0`);
    const summary = await r.summary;
    const [first, second] = summary.trials;
    for (const t of summary.trials) {
      assert.equal(t.status, "TERMINATED");
      assert.equal(r.results.get(t.id)!.at(-1)!.acc, 10 * (t.config.x as number));
    }
    const retries = r.ends.filter((e) => e.status === "RETRY");
    assert.deepEqual(retries.map((e) => e.id), [first!.id], JSON.stringify(r.ends));
    assert.match(retries[0]!.detail ?? "", new RegExp(`Slurm job ${arrayId}_0 was cancelled outside Tunelab`));
    assert.equal(starts(r.expDir, second!).length, 1, "the other task ran on undisturbed");
    assert.equal(sbatches(r).length, 2, "the array, then the retry alone");
    assert.ok(!sbatches(r)[1]!.argv.some((a) => a.startsWith("--array")));
    assert.ok((starts(r.expDir, first!)[1]!.it as number) >= 2, "the retry resumed from a checkpoint");
  });

  it("a stop from the runner TERMs each task by its own id", async () => {
    const r = runOnSlurm(cluster, { space: { x: grid([1, 2]), steps: 200, sleepMs: 100 }, concurrency: 2, stop: { training_iteration: 3 }, stopGraceS: 2 });
    const summary = await r.summary;
    const arrayId = r.cli.jobIds[0]!;
    for (const t of summary.trials) {
      assert.equal(t.status, "TERMINATED", JSON.stringify(r.ends));
      assert.ok(steps(r.results.get(t.id)).length < 20, "the task stopped soon after the stop");
    }
    const cancels = r.cli.calls.filter((c) => c.argv[0] === "scancel").map((c) => c.argv.join(" "));
    for (const i of [0, 1]) assert.ok(cancels.includes(`scancel --full --signal=TERM ${arrayId}_${i}`), cancels.join("\n"));
  });
});
