/**
 * Slurm executor latency on the local single-node cluster (scripts/slurm):
 * start() → first result, start() → exit, for a trainable that reports at
 * once, against the same trial on the LocalExecutor measured in the same run.
 * Also the cost of one batched squeue for many jobs against one per job, and
 * `--batch` trials started in one scheduling pass: one sbatch per trial against
 * one job array (time until every job is submitted, has run, has exited).
 * Prints the figures and writes bench/results/remote-slurm.json.
 *
 *   node --import tsx bench/remote-slurm.ts [--trials 8] [--jobs 20] [--batch 20]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Executor, TrialLaunch } from "../src/engine/executors/executor.ts";
import { LocalExecutor } from "../src/engine/executors/local.ts";
import { execSlurmCli } from "../src/engine/executors/slurm-cli.ts";
import { squeueArgv } from "../src/engine/executors/slurm-parse.ts";
import { SlurmExecutor } from "../src/engine/executors/slurm.ts";
import { startCluster, stopCluster } from "../test/integration/slurm-cluster.ts";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRIALS = arg("trials", 8);
const JOBS = arg("jobs", 20);
const BATCH = arg("batch", 20);

const cluster = startCluster();
if (typeof cluster === "string") {
  console.error(`remote-slurm: ${cluster}`);
  process.exit(1);
}
const slurmEnv = cluster.env;
const dir = mkdtempSync(join(tmpdir(), "tunelab-bench-slurm-"));
const script = join(dir, "report.mjs");
writeFileSync(script, `import { writeSync } from "node:fs"; writeSync(3, JSON.stringify({ result: { ok: 1 } }) + "\\n");\n`);

function launch(i: number, tag: string): TrialLaunch {
  const trialDir = join(dir, `${tag}-${i}`);
  mkdirSync(trialDir, { recursive: true });
  return {
    trialId: `${tag}_${i}`, argv: [process.execPath, script], cwd: dir, trialDir, resources: { cpu: 1, gpu: 0 }, gpuIds: [],
    env: { TUNELAB_TRIAL_ID: `${tag}_${i}`, TUNELAB_TRIAL_DIR: trialDir, TUNELAB_ITERATION: "0" },
  };
}

/** One trial at a time: ms to the first result and to the exit. */
async function measure(executor: Executor, tag: string): Promise<{ firstResultMs: number[]; exitMs: number[] }> {
  const firstResultMs: number[] = [];
  const exitMs: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const t0 = performance.now();
    await new Promise<void>((done) => {
      executor.start(launch(i, tag), {
        onReport: () => firstResultMs.push(performance.now() - t0),
        onProtocolError: (m) => console.error(m),
        onExit: () => {
          exitMs.push(performance.now() - t0);
          done();
        },
      });
    });
  }
  return { firstResultMs, exitMs };
}

/**
 * BATCH trials started in one synchronous pass, as the runner's fill() does: ms until every
 * job was accepted by sbatch, until every trial reported (its job ran), until every exit was seen.
 */
async function measureBatch(arrays: boolean): Promise<{ submittedMs: number; allRanMs: number; allExitedMs: number; sbatch: number }> {
  const executor = new SlurmExecutor({ env: slurmEnv, pollMs: 1000, reportPollMs: 200, log: () => undefined, arrays });
  const tag = arrays ? "array" : "perjob";
  const t0 = performance.now();
  let ran = 0;
  let allRanMs = NaN;
  const exits: Promise<void>[] = [];
  const started: Promise<unknown>[] = [];
  for (let i = 0; i < BATCH; i++) {
    exits.push(new Promise<void>((done) => {
      const running = executor.start(launch(i, tag), {
        onReport: () => {
          if (++ran === BATCH) allRanMs = performance.now() - t0;
        },
        onProtocolError: (m) => console.error(m),
        onExit: () => done(),
      });
      started.push(running.started!);
    }));
  }
  await Promise.all(started);
  const submittedMs = performance.now() - t0;
  await Promise.all(exits);
  return { submittedMs: Math.round(submittedMs), allRanMs: Math.round(allRanMs), allExitedMs: Math.round(performance.now() - t0), sbatch: executor.submissions.sbatch };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const local = await measure(new LocalExecutor(), "local");
const slurmExecutor = new SlurmExecutor({ env: cluster.env, pollMs: 1000, reportPollMs: 200, log: () => undefined });
const slurm = await measure(slurmExecutor, "slurm");
const perJob = await measureBatch(false);
const array = await measureBatch(true);

// squeue for JOBS ids: one batched call against one call per job (ids need not exist: the cost is the round trip).
const cli = execSlurmCli({ env: cluster.env });
const ids = Array.from({ length: JOBS }, (_, i) => String(1 + i));
let t = performance.now();
await cli.run(squeueArgv(ids));
const batchedMs = performance.now() - t;
t = performance.now();
for (const id of ids) await cli.run(squeueArgv([id]));
const perJobMs = performance.now() - t;

const out = {
  machine: `${process.platform} ${process.arch}, node ${process.version}`, trials: TRIALS,
  local: { firstResultMsMedian: median(local.firstResultMs), exitMsMedian: median(local.exitMs) },
  slurm: { firstResultMsMedian: median(slurm.firstResultMs), exitMsMedian: median(slurm.exitMs), firstResultMs: slurm.firstResultMs.map(Math.round) },
  squeue: { jobs: JOBS, batchedMs: Math.round(batchedMs), perJobMs: Math.round(perJobMs), ratio: +(perJobMs / batchedMs).toFixed(1) },
  batch: { trials: BATCH, cpus: os.availableParallelism(), perJob, array, submitRatio: +(perJob.submittedMs / array.submittedMs).toFixed(1) },
};
console.log(`sbatch → first result: median ${out.slurm.firstResultMsMedian.toFixed(0)} ms on Slurm vs ${out.local.firstResultMsMedian.toFixed(0)} ms locally ` +
  `(×${(out.slurm.firstResultMsMedian / out.local.firstResultMsMedian).toFixed(1)}); → exit ${out.slurm.exitMsMedian.toFixed(0)} ms vs ${out.local.exitMsMedian.toFixed(0)} ms`);
console.log(`squeue for ${JOBS} jobs: one batched call ${out.squeue.batchedMs} ms, one call per job ${out.squeue.perJobMs} ms (×${out.squeue.ratio})`);
console.log(`${BATCH} trials started together: all submitted ${perJob.submittedMs} ms with ${perJob.sbatch} sbatch calls vs ${array.submittedMs} ms with ${array.sbatch} array ` +
  `(×${out.batch.submitRatio}); all ran ${perJob.allRanMs} vs ${array.allRanMs} ms; all exits seen ${perJob.allExitedMs} vs ${array.allExitedMs} ms`);
const results = resolve(import.meta.dirname, "results");
mkdirSync(results, { recursive: true });
writeFileSync(join(results, "remote-slurm.json"), `${JSON.stringify(out, null, 2)}\n`);
stopCluster(cluster);
