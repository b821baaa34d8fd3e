/**
 * Search quality: median regret (best found − known minimum) over seeds on
 * standard test functions, for random search, Tunelab's TPE (default, and its
 * "optuna" flavour), Tunelab's GP-BO and Optuna's TPESampler (defaults, run by
 * bench/search_baseline.py in the same run). Searchers are driven directly:
 * suggest → evaluate in-process → onTrialComplete.
 *
 *   node --import tsx bench/search-quality.ts [--seeds 20] [--trials 200] [--gp-seeds N] [--only branin,levy10]
 *     [--searchers tpe,optuna]   (of random, tpe, tpe-optuna, gp-bo, optuna, optuna-multivariate; default all)
 *     [--optuna-from FILE]       (Optuna's per-seed regrets from an earlier results file with the same seeds and
 *                                 trials, instead of rerunning it: seeded, it gives the same numbers)
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { SearchSpec } from "../src/engine/config.ts";
import { createRng } from "../src/engine/random.ts";
import { bayesopt, createSearcher, randomSearch, tpe } from "../src/engine/search/index.ts";
import { FUNCTIONS, pointOf, spaceOf, type TestFunction } from "./search-functions.ts";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const SEEDS = Number(arg("seeds", "20"));
const TRIALS = Number(arg("trials", "200"));
const GP_SEEDS = Number(arg("gp-seeds", String(SEEDS)));
const ONLY = arg("only", "").split(",").filter(Boolean);
const SEARCHERS = arg("searchers", "").split(",").filter(Boolean);
const wanted = (name: string): boolean => SEARCHERS.length === 0 || SEARCHERS.includes(name);
const OPTUNA_FROM = arg("optuna-from", "");
const functions = FUNCTIONS.filter((f) => ONLY.length === 0 || ONLY.includes(f.name));

const ours = Object.fromEntries(Object.entries({
  random: randomSearch(),
  tpe: tpe(),
  "tpe-optuna": tpe({ flavor: "optuna" }),
  "gp-bo": bayesopt(),
} satisfies Record<string, SearchSpec>).filter(([name]) => wanted(name)));

function run(fn: TestFunction, spec: SearchSpec, seed: number): number {
  const searcher = createSearcher(spec);
  searcher.setup({ space: spaceOf(fn), metric: "value", mode: "min", samples: TRIALS, seed, clock: { now: () => 0 } });
  let best = Infinity;
  for (let i = 0; i < TRIALS; i++) {
    const config = searcher.suggest(`t${i}`);
    if (typeof config === "string") break;
    const value = fn.f(pointOf(fn, config));
    best = Math.min(best, value);
    searcher.onTrialComplete(`t${i}`, { value, training_iteration: 1 }, false);
  }
  return best - fn.optimum;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const exec = promisify(execFile);
async function optuna(fn: TestFunction, multivariate: boolean): Promise<number[] | undefined> {
  if (OPTUNA_FROM) return earlierOptuna(fn, multivariate ? "optuna-multivariate" : "optuna");
  try {
    const { stdout } = await exec("/usr/bin/python3", [join(import.meta.dirname, "search_baseline.py"), "quality", fn.name, String(SEEDS), String(TRIALS), multivariate ? "multivariate" : "univariate"], { maxBuffer: 1 << 20 });
    return (JSON.parse(stdout) as { best: number[] }).best.map((b) => b - fn.optimum);
  } catch (error) {
    console.error(`optuna baseline for ${fn.name} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    return undefined;
  }
}

function earlierOptuna(fn: TestFunction, name: string): number[] | undefined {
  const earlier = JSON.parse(readFileSync(OPTUNA_FROM, "utf8")) as { seeds: number; trials: number; regretPerSeed: Record<string, Record<string, number[]>> };
  if (earlier.seeds !== SEEDS || earlier.trials !== TRIALS) throw new Error(`${OPTUNA_FROM} has ${earlier.seeds} seeds × ${earlier.trials} trials, not ${SEEDS} × ${TRIALS}`);
  const regrets = earlier.regretPerSeed[fn.name]?.[name];
  if (!regrets) console.error(`${OPTUNA_FROM} has no ${name} regrets for ${fn.name}`);
  return regrets;
}

// Optuna runs in child processes (the other core) while our searchers run here.
const skipped = Promise.resolve(undefined);
const baselines = functions.map((fn) => ({
  fn,
  uni: wanted("optuna") ? optuna(fn, false) : skipped,
  multi: wanted("optuna-multivariate") ? optuna(fn, true) : skipped,
}));
const rows: Record<string, Record<string, number | null>> = {};
const perSeed: Record<string, Record<string, number[]>> = {};
const started = performance.now();
for (const { fn, uni, multi } of baselines) {
  const row: Record<string, number | null> = {};
  const regrets: Record<string, number[]> = {};
  for (const [name, spec] of Object.entries(ours)) {
    const seeds = name === "gp-bo" ? GP_SEEDS : SEEDS;
    const t0 = performance.now();
    regrets[name] = Array.from({ length: seeds }, (_, s) => run(fn, spec, s));
    row[`${name} ms/trial`] = (performance.now() - t0) / (seeds * TRIALS);
  }
  const [u, m] = await Promise.all([uni, multi]);
  if (u) regrets.optuna = u;
  if (m) regrets["optuna-multivariate"] = m;
  for (const [name, xs] of Object.entries(regrets)) row[name] = median(xs);
  rows[fn.name] = row;
  perSeed[fn.name] = regrets;
  const shown = ["random", "tpe", "tpe-optuna", "gp-bo", "optuna", "optuna-multivariate"].filter((n) => regrets[n]);
  const ratios = [["tpe", "optuna"], ["tpe", "optuna-multivariate"], ["tpe-optuna", "optuna"], ["gp-bo", "optuna"]]
    .filter(([a, b]) => regrets[a as string] && regrets[b as string])
    .map(([a, b]) => `${a}/${b} ${ratioWithInterval(regrets[a as string] as number[], regrets[b as string] as number[])}`);
  console.log(`${fn.name.padEnd(13)} ${shown.map((n) => `${n} ${fmt(row[n])}`).join("  ")}  | ${ratios.join("  ")}`);
}

/** The ratio of medians with a 90% bootstrap interval over seeds (seeded, so reruns print the same interval). */
function ratioWithInterval(a: number[], b: number[]): string {
  const r = (x: number, y: number): number => (y === 0 ? (x === 0 ? 1 : Infinity) : x / y);
  const rng = createRng(12345);
  const draw = (xs: number[]): number[] => xs.map(() => xs[rng.int(0, xs.length)] as number);
  const boot = Array.from({ length: 2000 }, () => r(median(draw(a)), median(draw(b)))).sort((x, y) => x - y);
  return `${r(median(a), median(b)).toFixed(2)} [${(boot[100] as number).toFixed(2)}, ${(boot[1899] as number).toFixed(2)}]`;
}

function fmt(v: number | null | undefined): string {
  return v == null ? "n/a" : v.toPrecision(3).padStart(9);
}

console.log(`median regret over ${SEEDS} seeds (gp-bo ${GP_SEEDS}), ${TRIALS} trials; ${((performance.now() - started) / 1000).toFixed(0)} s`);
const out = join(import.meta.dirname, "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "search-quality.json"), `${JSON.stringify({ date: new Date().toISOString(), seeds: SEEDS, gpSeeds: GP_SEEDS, trials: TRIALS, medianRegret: rows, regretPerSeed: perSeed }, null, 2)}\n`);
