/**
 * The Slurm executor on a real single-node cluster (scripts/slurm): a small
 * experiment of single jobs (arrays: slurm-array.test.ts), `scontrol requeue`
 * mid-trial, `scancel` from outside, fake GPUs and a distributed trial. The runner is the real one; the trainable is a real
 * process that checkpoints and resumes.
 */
import { strict as assert } from "node:assert";
import { after, describe, it } from "node:test";
import { grid } from "../../src/engine/space/domains.ts";
import { runOnSlurm, slurm, starts, startCluster, steps, stopCluster, type Cluster } from "./slurm-cluster.ts";
import { waitFor } from "./helpers.ts";

const started = startCluster();
const skip = typeof started === "string" ? `Slurm is not available here: ${started}` : false;
if (skip) process.stderr.write(`# ${skip}\n`);

const run = runOnSlurm;

describe("Slurm executor on a real cluster", { skip, timeout: 170_000 }, () => {
  const cluster = started as Cluster;
  after(() => stopCluster(cluster));

  it("runs a small experiment with arrays off: one job per trial, one squeue per poll, every result once", async () => {
    const r = run(cluster, { space: { x: grid([1, 2, 3]), steps: 4, sleepMs: 100 }, metric: "acc", mode: "max" }, { arrays: false });
    const summary = await r.summary;
    assert.equal(summary.outcome, "completed", summary.message);
    assert.equal(r.cli.count("sbatch"), 3);
    for (const t of summary.trials) {
      assert.equal(t.status, "TERMINATED");
      assert.deepEqual(steps(r.results.get(t.id)), [1, 2, 3, 4]);
      assert.equal(r.results.get(t.id)!.at(-1)!.acc, 4 * (t.config.x as number));
    }
    // Batched: every squeue names all the jobs still in flight, never one call per job per poll.
    const squeues = r.cli.calls.filter((c) => c.argv[0] === "squeue");
    assert.ok(squeues.some((c) => c.argv.some((a) => a.startsWith("--jobs=") && a.split(",").length >= 2)), "a squeue call named several jobs");
  });

  it("a stop from the runner (a stopper) TERMs the program through scancel: the trial ends TERMINATED, not failed", async () => {
    const r = run(cluster, { space: { x: 1, steps: 200, sleepMs: 100 }, stop: { training_iteration: 3 }, stopGraceS: 2 });
    const summary = await r.summary;
    assert.equal(summary.trials[0]!.status, "TERMINATED", JSON.stringify(r.ends));
    assert.ok(r.cli.calls.some((c) => c.argv.join(" ") === `scancel --full --signal=TERM ${r.cli.jobIds[0]}`));
    assert.ok(steps(r.results.get(summary.trials[0]!.id)).length < 20, "the job stopped soon after the stop");
  });

  it("scontrol requeue: the trial resumes from its latest checkpoint and no result is counted twice", async () => {
    const r = run(cluster, { space: { x: 5, steps: 14, sleepMs: 250, ckptEvery: 2 } });
    await waitFor(() => (r.results.values().next().value?.length ?? 0) >= 5, "5 results before the requeue", 30_000);
    const jobId = r.cli.jobIds[0]!;
    slurm(cluster, "scontrol", "requeue", jobId);
    const summary = await r.summary;
    const trial = summary.trials[0]!;
    assert.equal(trial.status, "TERMINATED", JSON.stringify(r.ends));
    const rs = r.results.get(trial.id)!;
    assert.deepEqual(steps(rs), Array.from({ length: 14 }, (_, i) => i + 1), "each iteration exactly once");
    assert.deepEqual(rs.map((x) => x.acc), steps(rs).map((i) => 5 * i), "state carried over by the checkpoint");
    const runs = starts(r.expDir, trial);
    assert.equal(runs.length, 2, JSON.stringify(runs));
    assert.equal(runs[1]!.restart, "1");
    assert.equal(runs[1]!.job, jobId, "the same job ran again");
    assert.ok((runs[1]!.it as number) >= 4 && (runs[1]!.it as number) % 2 === 0, `resumed at a checkpoint: ${JSON.stringify(runs[1])}`);
    assert.equal(r.cli.count("sbatch"), 1, "the requeue was Slurm's, not a new submission");
  });

  it("scancel from outside: the trial fails as cancelled and is retried from its checkpoint", async () => {
    const r = run(cluster, { space: { x: 1, steps: 8, sleepMs: 200, ckptEvery: 2 }, maxFailures: 1 });
    await waitFor(() => (r.results.values().next().value?.length ?? 0) >= 3, "3 results before the scancel", 30_000);
    slurm(cluster, "scancel", r.cli.jobIds[0]!);
    const summary = await r.summary;
    const trial = summary.trials[0]!;
    assert.equal(trial.status, "TERMINATED");
    const retry = r.ends.find((e) => e.status === "RETRY");
    assert.ok(retry, JSON.stringify(r.ends));
    assert.match(retry.detail ?? "", /cancelled outside Tunelab/);
    assert.equal(r.cli.count("sbatch"), 2);
    const second = starts(r.expDir, trial)[1]!;
    assert.ok((second.it as number) >= 2, `the retry resumed from a checkpoint: ${JSON.stringify(second)}`);
    assert.equal(r.results.get(trial.id)!.at(-1)!.acc, 8);
  });

  it("fake GPUs: each trial gets its own CUDA_VISIBLE_DEVICES from gres; a CPU trial gets none", async () => {
    const r = run(cluster, { space: { x: grid([1, 2]), steps: 6, sleepMs: 300 }, resources: { cpu: 1, gpu: 1 } });
    const summary = await r.summary;
    assert.equal(summary.outcome, "completed", summary.message);
    const seen = summary.trials.map((t) => r.results.get(t.id)![0]!.cuda);
    for (const c of seen) assert.match(String(c), /^[01]$/);
    assert.ok(r.cli.calls.some((c) => c.argv[0] === "sbatch" && c.argv.includes("--gres=gpu:1")));
    const cpu = run(cluster, { space: { x: 1, steps: 1, sleepMs: 0 } });
    const s2 = await cpu.summary;
    assert.equal(cpu.results.get(s2.trials[0]!.id)![0]!.cuda, "");
  });

  it("distributed trial: workers → one job with --ntasks, srun ranks see each other, only rank 0 reports", async () => {
    const r = run(cluster, { space: { x: 1, steps: 3, sleepMs: 50 } }, { workers: 2 });
    const summary = await r.summary;
    assert.equal(summary.outcome, "completed", summary.message);
    const rs = r.results.get(summary.trials[0]!.id)!;
    assert.deepEqual(steps(rs), [1, 2, 3], "rank 1's reports were not counted");
    assert.deepEqual(rs[0]!.ranks, ["0", "1"]);
    assert.equal(rs[0]!.world, 2);
    assert.ok(rs[0]!.master);
    assert.ok(r.cli.calls.some((c) => c.argv[0] === "sbatch" && c.argv.includes("--ntasks=2")));
  });
});
