/**
 * PBT and PB2 against random search at the same compute, on a toy whose best
 * learning rate changes over time (examples/pbt-toy, after Ray Tune's pbt_function),
 * then PBT replay: the best PBT trial's schedule (its pbt_policy_<id>.txt)
 * re-run as one trial must end with the same score. Prints both and writes
 * bench/results/pbt.json.
 *
 *   node --import tsx bench/pbt.ts [--samples 8] [--steps 200] [--concurrency samples] [--seeds 3]
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { SchedulerSpec, TuneConfig } from "../src/engine/config.ts";
import type { TrialConfig } from "../src/engine/interfaces.ts";
import { fifo, pb2, pbt, pbtReplay } from "../src/engine/schedulers/specs.ts";
import { loguniform } from "../src/engine/space/domains.ts";
import { Tuner, type ResultGrid } from "../src/engine/tuner.ts";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SAMPLES = arg("samples", 8);
const STEPS = arg("steps", 200);
// The whole population runs at once: the runner creates trials as slots free up, so a PBT population only coexists within `concurrency`.
const CONCURRENCY = arg("concurrency", SAMPLES);
const SEEDS = arg("seeds", 3);
const storage = mkdtempSync(join(tmpdir(), "tunelab-pbt-"));

function config(name: string, scheduler: SchedulerSpec, seed: number, samples = SAMPLES): TuneConfig {
  return {
    name,
    trainable: { python: "train:train", cwd: resolve("examples/pbt-toy"), env: { PYTHONPATH: resolve("python") } },
    space: { lr: loguniform(1e-4, 1e-1), seed: 0, steps: STEPS },
    metric: "mean_accuracy", mode: "max", samples, concurrency: CONCURRENCY,
    stop: { training_iteration: STEPS }, scheduler, storage, seed,
  };
}

async function fit(c: TuneConfig): Promise<{ grid: ResultGrid; wallS: number; steps: number }> {
  const start = performance.now();
  const grid = await new Tuner(c, { baseDir: resolve(".") }).fit();
  const wallS = (performance.now() - start) / 1000;
  if (grid.summary.outcome !== "completed") throw new Error(`${c.name} ended ${grid.summary.outcome}: ${grid.summary.message ?? ""}`);
  // Compute = results reported (steps trained), counted from each trial's result.json.
  let steps = 0;
  for (const r of grid.results) {
    const file = join(r.path, "result.json");
    if (existsSync(file)) steps += readFileSync(file, "utf8").split("\n").filter((l) => l.trim()).length;
  }
  return { grid, wallS, steps };
}

const best = (grid: ResultGrid): { id: string; score: number } => {
  const b = grid.getBestResult();
  return { id: b?.trialId ?? "", score: Number(b?.metrics?.mean_accuracy ?? NaN) };
};

/**
 * Ray's policy rows per trial from the journal: each `config` event with a donor is one exploit
 * ([target, donor, target step, donor checkpoint step, donor config, new config]); a trial's file
 * starts as a copy of its donor's, as PBT writes it.
 */
function policyFromJournal(expDir: string): Map<string, string[]> {
  const files = new Map<string, string[]>();
  const config = new Map<string, TrialConfig>();
  const step = new Map<string, number>();
  for (const line of readFileSync(join(expDir, "events.jsonl"), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { t: string; id: string; config?: TrialConfig; donorId?: string; iteration?: number; r?: { training_iteration?: number } };
    if (e.t === "trial" && e.config) config.set(e.id, e.config);
    else if (e.t === "result") step.set(e.id, Number(e.r?.training_iteration ?? 0));
    else if (e.t === "config" && e.config && e.donorId && e.donorId !== e.id) {
      const row = JSON.stringify([e.id, e.donorId, step.get(e.id) ?? 0, e.iteration ?? 0, config.get(e.donorId), e.config]);
      files.set(e.id, [...(files.get(e.donorId) ?? []), row]);
      config.set(e.id, e.config);
    }
  }
  return files;
}

const rows: Record<string, unknown>[] = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const withPbt = await fit(config(`pbt-${seed}`, pbt({
    timeAttr: "training_iteration", perturbationInterval: 10, hyperparamMutations: { lr: loguniform(1e-4, 1e-1) },
  }), seed));
  // Same interval and range as PBT; the range is searched in log space, as PBT's loguniform mutation is.
  const withPb2 = await fit(config(`pb2-${seed}`, pb2({
    timeAttr: "training_iteration", perturbationInterval: 10, hyperparamBounds: { lr: loguniform(1e-4, 1e-1) },
  }), seed));
  const random = await fit(config(`random-${seed}`, fifo(), seed));
  const top = best(withPbt.grid);
  const row: Record<string, unknown> = {
    seed, pbtBest: top.score, pb2Best: best(withPb2.grid).score, randomBest: best(random.grid).score,
    pbtSteps: withPbt.steps, pb2Steps: withPb2.steps, randomSteps: random.steps,
    pbtWallS: withPbt.wallS, pb2WallS: withPb2.wallS, randomWallS: random.wallS,
  };
  let policy = join(withPbt.grid.experimentDir, `pbt_policy_${top.id}.txt`);
  if (!existsSync(policy)) {
    // The runner does not write PBT's policy lines yet: rebuild them from the journal's config events.
    policy = join(storage, `rebuilt_pbt_policy_${top.id}.txt`);
    const rebuilt = policyFromJournal(withPbt.grid.experimentDir).get(top.id);
    if (rebuilt) writeFileSync(policy, rebuilt.join("\n") + "\n");
    row.policySource = "rebuilt from events.jsonl";
  }
  if (existsSync(policy)) {
    const changes = readFileSync(policy, "utf8").split("\n").filter((l) => l.trim()).length;
    const replay = await fit(config(`replay-${seed}`, pbtReplay({ policyFile: policy }), seed, 1));
    row.replayScore = best(replay.grid).score;
    row.policyRows = changes;
  } else {
    row.replayScore = null;
    row.replayNote = `trial ${top.id} never exploited: nothing to replay`;
  }
  rows.push(row);
  console.log(`seed ${seed}: PBT best ${top.score.toFixed(1)} (${withPbt.steps} steps, ${withPbt.wallS.toFixed(1)} s)  ` +
    `PB2 best ${Number(row.pb2Best).toFixed(1)} (${withPb2.steps} steps, ${withPb2.wallS.toFixed(1)} s)  ` +
    `random best ${Number(row.randomBest).toFixed(1)} (${random.steps} steps, ${random.wallS.toFixed(1)} s)  ` +
    `replay of ${top.id}: ${row.replayScore === null ? row.replayNote : `${Number(row.replayScore).toFixed(3)} vs ${top.score.toFixed(3)} (${row.policyRows} policy rows)`}`);
}
const mean = (key: string): number => rows.reduce((a, r) => a + Number(r[key]), 0) / rows.length;
console.log(`\nmean best: PBT ${mean("pbtBest").toFixed(1)}, PB2 ${mean("pb2Best").toFixed(1)} vs random ${mean("randomBest").toFixed(1)} ` +
  `(PBT ${(mean("pbtBest") / mean("randomBest")).toFixed(2)}×, PB2 ${(mean("pb2Best") / mean("randomBest")).toFixed(2)}×), ` +
  `compute ${mean("pbtSteps").toFixed(0)}, ${mean("pb2Steps").toFixed(0)} vs ${mean("randomSteps").toFixed(0)} steps`);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/pbt.json", JSON.stringify({ date: new Date().toISOString(), samples: SAMPLES, steps: STEPS, concurrency: CONCURRENCY, rows }, null, 2) + "\n");
console.log(`experiments under ${storage}; figures in bench/results/pbt.json`);
