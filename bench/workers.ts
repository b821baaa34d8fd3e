/**
 * Warm Python workers vs cold processes: trials per second for a trivial
 * function trainable that imports numpy (bench/fixtures/numpy_trainable.py),
 * concurrency 2, through the executors the runner uses. Baseline, measured in
 * the same run: LocalExecutor (one `python -m tunelab.run` per trial). Workers'
 * start-up (their one import) is inside the measured time.
 * Run: node --import tsx bench/workers.ts [trials] [interpreter]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Executor, TrialExit } from "../src/engine/executors/executor.ts";
import { LocalExecutor } from "../src/engine/executors/local.ts";
import { PythonWorkerPool } from "../src/engine/executors/python-workers.ts";
import { buildLaunch } from "../src/engine/trainables/launch.ts";

const TRIALS = Number(process.argv[2] ?? 40);
const INTERPRETER = process.argv[3] ?? "/usr/bin/python3";
const CONCURRENCY = 2;
const HERE = dirname(fileURLToPath(import.meta.url));

function runTrial(ex: Executor, root: string, i: number): Promise<number> {
  const trialId = `bench_${String(i).padStart(5, "0")}`;
  const trialDir = join(root, trialId);
  mkdirSync(trialDir, { recursive: true });
  writeFileSync(join(trialDir, "params.json"), JSON.stringify({ lr: 0.001 * (i + 1) }));
  const launch = buildLaunch({
    trainable: { python: "numpy_trainable:train", interpreter: INTERPRETER }, configPath: join(HERE, "fixtures", "tune.config.ts"),
    trialId, trialDir, expDir: root, iteration: 0, resources: { cpu: 1, gpu: 0 }, gpuIds: [],
  });
  const t0 = performance.now();
  let reports = 0;
  return new Promise((resolve, reject) => {
    ex.start(launch, {
      onReport: () => void (reports += 1),
      onProtocolError: (m) => reject(new Error(`${trialId}: ${m}`)),
      onExit: (e: TrialExit) => {
        if (e.code !== 0 || reports !== 1) reject(new Error(`${trialId} exited ${e.code ?? e.signal} with ${reports} reports: ${e.stderrTail}`));
        else resolve(performance.now() - t0);
      },
    });
  });
}

/** Runs TRIALS trials, CONCURRENCY at a time; returns the wall time and each trial's latency. */
async function measure(ex: Executor, root: string): Promise<{ seconds: number; latenciesMs: number[] }> {
  const latenciesMs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < TRIALS) latenciesMs.push(await runTrial(ex, root, next++));
  }));
  return { seconds: (performance.now() - t0) / 1000, latenciesMs };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "tunelab-bench-workers-"));
  try {
    const local = new LocalExecutor();
    const cold = await measure(local, join(root, "cold"));
    await local.close(0);
    const pool = new PythonWorkerPool();
    const warm = await measure(pool, join(root, "warm"));
    await pool.close(1000);
    const coldRate = TRIALS / cold.seconds;
    const warmRate = TRIALS / warm.seconds;
    const out = {
      date: new Date().toISOString(), node: process.version, interpreter: INTERPRETER, trials: TRIALS, concurrency: CONCURRENCY,
      coldTrialsPerSecond: coldRate, warmTrialsPerSecond: warmRate, speedup: warmRate / coldRate,
      coldMedianTrialMs: median(cold.latenciesMs), warmMedianTrialMs: median(warm.latenciesMs), workersStarted: pool.spawned,
    };
    console.log(`${TRIALS} trials of a numpy-importing function trainable, concurrency ${CONCURRENCY}, ${INTERPRETER}`);
    console.log(`cold processes (LocalExecutor): ${coldRate.toFixed(1)} trials/s, median trial ${out.coldMedianTrialMs.toFixed(0)} ms`);
    console.log(`warm workers (PythonWorkerPool): ${warmRate.toFixed(1)} trials/s, median trial ${out.warmMedianTrialMs.toFixed(0)} ms (${pool.spawned} workers started)`);
    console.log(`warm / cold: ${out.speedup.toFixed(1)}x`);
    const dir = join(HERE, "results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "workers.json"), `${JSON.stringify(out, null, 2)}\n`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
