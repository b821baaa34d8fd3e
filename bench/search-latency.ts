/**
 * Time per suggestion with 100, 1,000 and 10,000 finished trials in 2-D and
 * 10-D: Tunelab's TPE (and GP-BO at 100) against Optuna's TPESampler, whose
 * figures bench/search_baseline.py measures in the same run. The history is
 * loaded through restore(), as a resumed experiment would load it. Both sides
 * make 30 untimed suggestions first, so the figures are a running tuner's
 * steady state rather than the first calls' compile and import costs.
 *
 *   node --import tsx bench/search-latency.ts [--repeats 20] [--no-10k]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SearchSpec } from "../src/engine/config.ts";
import { createRng } from "../src/engine/random.ts";
import { bayesopt, createSearcher, tpe } from "../src/engine/search/index.ts";
import * as d from "../src/engine/space/domains.ts";

const REPEATS = Number(process.argv[process.argv.indexOf("--repeats") + 1] ?? 20) || 20;
const WARMUP = 30;
const MAX_REPEATS = 2000;
const SIZES = process.argv.includes("--no-10k") ? [100, 1000] : [100, 1000, 10000];

function oursMs(spec: SearchSpec, dims: number, completed: number): number {
  const rng = createRng(1);
  const space: d.Space = Object.fromEntries(Array.from({ length: dims }, (_, i) => [`x${i}`, d.uniform(0, 1)]));
  const trials = Array.from({ length: completed }, (_, t) => ({
    id: `h${t}`, state: "done", loss: rng.next(), obs: Object.fromEntries(Array.from({ length: dims }, (_, i) => [`x${i}`, rng.next()])),
  }));
  const searcher = createSearcher(spec);
  searcher.setup({ space, metric: "loss", mode: "min", samples: completed + WARMUP + MAX_REPEATS, seed: 0, clock: { now: () => 0 } });
  searcher.restore({ version: 1, kind: spec.kind, rng: createRng(2).state(), suggested: completed, trials, model: null });
  // Untimed suggestions first, on both sides (the baseline does the same), so the
  // figure is the steady state of a running tuner, not the JIT's first compile.
  for (let w = 0; w < WARMUP; w++) {
    searcher.suggest(`w${w}`);
    searcher.onTrialComplete(`w${w}`, undefined, true);
  }
  // At least REPEATS suggestions and 200 ms, so that one GC pause in a few milliseconds of work does not set the figure.
  const start = performance.now();
  let r = 0;
  while (r < MAX_REPEATS && (r < REPEATS || performance.now() - start < 200)) {
    searcher.suggest(`r${r}`);
    // Failed, so the model keeps exactly `completed` trials (as the Optuna baseline does).
    searcher.onTrialComplete(`r${r}`, undefined, true);
    r++;
  }
  return (performance.now() - start) / r;
}

function optunaMs(dims: number, completed: number): number | undefined {
  try {
    const out = execFileSync("/usr/bin/python3", [join(import.meta.dirname, "search_baseline.py"), "latency", String(dims), String(completed), String(REPEATS), String(WARMUP)],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 20 });
    return (JSON.parse(out) as { ms_per_suggestion: number }).ms_per_suggestion;
  } catch {
    return undefined;
  }
}

const rows: { dims: number; completed: number; tpeMs: number; gpMs: number | null; optunaMs: number | null; ratio: number | null }[] = [];
for (const dims of [2, 10]) {
  for (const completed of SIZES) {
    const tpeMs = oursMs(tpe(), dims, completed);
    const gpMs = completed <= 100 ? oursMs(bayesopt(), dims, completed) : null;
    // Optuna at 10,000 trials takes seconds per suggestion; measure it with fewer repeats only up to 1,000.
    const base = completed <= 1000 ? optunaMs(dims, completed) ?? null : null;
    const ratio = base === null ? null : tpeMs / base;
    rows.push({ dims, completed, tpeMs, gpMs, optunaMs: base, ratio });
    console.log(`${String(dims).padStart(2)}-D ${String(completed).padStart(6)} trials: tpe ${tpeMs.toFixed(2)} ms`
      + (gpMs === null ? "" : `, gp-bo ${gpMs.toFixed(1)} ms`)
      + (base === null ? "" : `, optuna tpe ${base.toFixed(2)} ms, ratio ours/optuna ${(ratio ?? 0).toFixed(3)}`));
  }
  const per = rows.filter((r) => r.dims === dims);
  const [first, last] = [per[0], per.at(-1)];
  if (first && last && last.completed > first.completed) {
    const growth = Math.log(last.tpeMs / first.tpeMs) / Math.log(last.completed / first.completed);
    console.log(`   ${dims}-D tpe time grows as n^${growth.toFixed(2)} from ${first.completed} to ${last.completed} trials (1 = linear)`);
  }
}
const out = join(import.meta.dirname, "results");
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "search-latency.json"), `${JSON.stringify({ date: new Date().toISOString(), repeats: REPEATS, rows }, null, 2)}\n`);
