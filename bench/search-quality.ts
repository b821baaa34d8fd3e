/**
 * Search quality: median regret (best found − known minimum) over seeds on
 * standard test functions, for random search, Tunelab's TPE (univariate and
 * multivariate), Tunelab's GP-BO and Optuna's TPESampler (defaults, run by
 * bench/search_baseline.py in the same run). Searchers are driven directly:
 * suggest → evaluate in-process → onTrialComplete.
 *
 *   node --import tsx bench/search-quality.ts [--seeds 20] [--trials 200] [--gp-seeds N] [--only branin,levy10]
 */
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { SearchSpec } from "../src/engine/config.ts";
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
const functions = FUNCTIONS.filter((f) => ONLY.length === 0 || ONLY.includes(f.name));

const ours: Record<string, SearchSpec> = {
  random: randomSearch(),
  tpe: tpe(),
  "tpe-multivariate": tpe({ multivariate: true }),
  "gp-bo": bayesopt(),
};

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
  try {
    const { stdout } = await exec("/usr/bin/python3", [join(import.meta.dirname, "search_baseline.py"), "quality", fn.name, String(SEEDS), String(TRIALS), multivariate ? "multivariate" : "univariate"], { maxBuffer: 1 << 20 });
    return (JSON.parse(stdout) as { best: number[] }).best.map((b) => b - fn.optimum);
  } catch (error) {
    console.error(`optuna baseline for ${fn.name} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    return undefined;
  }
}

// Optuna runs in child processes (the other core) while our searchers run here.
const baselines = functions.map((fn) => ({ fn, uni: optuna(fn, false), multi: optuna(fn, true) }));
const rows: Record<string, Record<string, number | null>> = {};
const started = performance.now();
for (const { fn, uni, multi } of baselines) {
  const row: Record<string, number | null> = {};
  for (const [name, spec] of Object.entries(ours)) {
    const seeds = name === "gp-bo" ? GP_SEEDS : SEEDS;
    const t0 = performance.now();
    row[name] = median(Array.from({ length: seeds }, (_, s) => run(fn, spec, s)));
    row[`${name} ms/trial`] = (performance.now() - t0) / (seeds * TRIALS);
  }
  const [u, m] = await Promise.all([uni, multi]);
  row.optuna = u ? median(u) : null;
  row["optuna-multivariate"] = m ? median(m) : null;
  rows[fn.name] = row;
  const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
    a == null || b == null ? "n/a" : b === 0 ? (a === 0 ? "1.00" : "inf") : (a / b).toFixed(2);
  console.log(`${fn.name.padEnd(13)} random ${fmt(row.random)}  tpe ${fmt(row.tpe)}  tpe-mv ${fmt(row["tpe-multivariate"])}  gp-bo ${fmt(row["gp-bo"])}  `
    + `optuna ${fmt(row.optuna)}  optuna-mv ${fmt(row["optuna-multivariate"])}  | tpe/optuna ${ratio(row.tpe, row.optuna)}  `
    + `tpe-mv/optuna ${ratio(row["tpe-multivariate"], row.optuna)}  tpe-mv/optuna-mv ${ratio(row["tpe-multivariate"], row["optuna-multivariate"])}  gp-bo/optuna ${ratio(row["gp-bo"], row.optuna)}`);
}

function fmt(v: number | null | undefined): string {
  return v == null ? "n/a" : v.toPrecision(3).padStart(9);
}

console.log(`median regret over ${SEEDS} seeds (gp-bo ${GP_SEEDS}), ${TRIALS} trials; ${((performance.now() - started) / 1000).toFixed(0)} s`);
const out = join(import.meta.dirname, "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "search-quality.json"), `${JSON.stringify({ date: new Date().toISOString(), seeds: SEEDS, gpSeeds: GP_SEEDS, trials: TRIALS, medianRegret: rows }, null, 2)}\n`);
