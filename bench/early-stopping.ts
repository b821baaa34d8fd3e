/**
 * Early stopping on a real training: the digits MLP (examples/digits, pure
 * Python) tuned with FIFO (baseline, same run), ASHA, HyperBand and the median
 * stopping rule, the same trials (same seed) for each. Prints wall time, the
 * ratio to FIFO, epochs trained and the best final val_acc; writes
 * bench/results/early-stopping.json. Goal: ASHA ≥ 3× less wall time than FIFO
 * with the best val_acc within 0.5 points.
 *
 *   node --import tsx bench/early-stopping.ts [--samples 24] [--epochs 27] [--concurrency 2] [--asha-grace 3] [--only asha,fifo]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { SchedulerSpec, TuneConfig } from "../src/engine/config.ts";
import { asha, fifo, hyperband, medianStopping } from "../src/engine/schedulers/specs.ts";
import { choice, loguniform, randint, uniform } from "../src/engine/space/domains.ts";
import { Tuner } from "../src/engine/tuner.ts";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? String(process.argv[i + 1]) : fallback;
};
const SAMPLES = Number(arg("samples", "24"));
const EPOCHS = Number(arg("epochs", "27"));
const CONCURRENCY = Number(arg("concurrency", "2"));
const ONLY = arg("only", "fifo,asha,hyperband,median").split(",");
/** ASHA's first rung: epoch-1 accuracy ranks this MLP poorly, so the default waits 3 epochs. */
const ASHA_GRACE = Number(arg("asha-grace", "3"));

const SCHEDULERS: Record<string, SchedulerSpec> = {
  fifo: fifo(),
  asha: asha({ maxT: EPOCHS, gracePeriod: ASHA_GRACE, reductionFactor: 3 }),
  hyperband: hyperband({ maxT: EPOCHS, reductionFactor: 3 }),
  median: medianStopping({ timeAttr: "training_iteration", gracePeriod: 3, minSamplesRequired: 3 }),
};

interface Row {
  scheduler: string;
  outcome: string;
  message?: string;
  wallS: number;
  epochs: number;
  bestValAcc: number;
  bestTrial: string | undefined;
}

async function runOne(name: string, spec: SchedulerSpec, storage: string): Promise<Row> {
  const config: TuneConfig = {
    name: `early-stopping-${name}`,
    trainable: { python: "train:train_fn", cwd: resolve("examples/digits"), env: { PYTHONPATH: resolve("python") } },
    space: {
      lr: loguniform(0.003, 0.3), momentum: uniform(0.5, 0.95), l2: loguniform(1e-6, 1e-2),
      batch_size: choice([16, 32, 64]), hidden: choice([16, 32, 48]), seed: randint(0, 1000), epochs: EPOCHS,
    },
    metric: "val_acc", mode: "max", samples: SAMPLES, concurrency: CONCURRENCY,
    stop: { training_iteration: EPOCHS }, scheduler: spec, storage, seed: 7,
  };
  const start = performance.now();
  const grid = await new Tuner(config, { baseDir: resolve(".") }).fit();
  const wallS = (performance.now() - start) / 1000;
  let best = -Infinity;
  let bestTrial: string | undefined;
  let epochs = 0;
  for (const r of grid.results) {
    const acc = Number(r.metrics?.val_acc ?? -Infinity);
    epochs += Number(r.metrics?.training_iteration ?? 0);
    if (acc > best) [best, bestTrial] = [acc, r.trialId];
  }
  return {
    scheduler: name, outcome: grid.summary.outcome, ...(grid.summary.message ? { message: grid.summary.message } : {}),
    wallS, epochs, bestValAcc: best, bestTrial,
  };
}

const storage = mkdtempSync(join(tmpdir(), "tunelab-early-stopping-"));
const rows: Row[] = [];
for (const name of ONLY) {
  const spec = SCHEDULERS[name];
  if (!spec) throw new Error(`--only: unknown scheduler ${name} (known: ${Object.keys(SCHEDULERS).join(", ")})`);
  const row = await runOne(name, spec, storage);
  rows.push(row);
  console.log(`${name.padEnd(10)} ${row.outcome.padEnd(9)} wall ${row.wallS.toFixed(1).padStart(6)} s  epochs ${String(row.epochs).padStart(4)}  best val_acc ${(100 * row.bestValAcc).toFixed(2)}%${row.message ? `  (${row.message})` : ""}`);
}
const base = rows.find((r) => r.scheduler === "fifo");
if (base) {
  console.log(`\n${SAMPLES} trials × up to ${EPOCHS} epochs, ${CONCURRENCY} at a time (ASHA gracePeriod ${ASHA_GRACE}); ratios against FIFO in this run:`);
  for (const r of rows) {
    if (r === base) continue;
    console.log(`${r.scheduler.padEnd(10)} ${(base.wallS / r.wallS).toFixed(2)}× less wall time, ${(base.epochs / r.epochs).toFixed(2)}× fewer epochs, best val_acc ${(100 * (r.bestValAcc - base.bestValAcc)).toFixed(2)} points vs FIFO`);
  }
}
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/early-stopping.json", JSON.stringify({ date: new Date().toISOString(), samples: SAMPLES, epochs: EPOCHS, concurrency: CONCURRENCY, ashaGracePeriod: ASHA_GRACE, rows }, null, 2) + "\n");
console.log(`\nexperiments under ${storage}; figures in bench/results/early-stopping.json`);
