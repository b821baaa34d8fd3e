/**
 * Engine benchmark: runner overhead per trial (10,000 no-op trials through the
 * real Runner, journal and trial files, with an executor that answers at once),
 * results/s ingested and journaled through the runner, and journal replay time.
 * Baseline in the same run: Optuna (Debian's python3-optuna) on no-op trials.
 * Prints ratios and writes bench/results/engine.json.
 *
 *   node --import tsx bench/engine.ts [--trials 10000] [--results 100000]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TuneConfig } from "../src/engine/config.ts";
import type { Executor, TrialEvents, TrialLaunch } from "../src/engine/executors/executor.ts";
import { Runner } from "../src/engine/runner.ts";
import { choice, loguniform, uniform } from "../src/engine/space/domains.ts";
import { parseJournal } from "../src/engine/store/journal.ts";
import { replay } from "../src/engine/store/state.ts";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRIALS = arg("trials", 10_000);
const RESULTS = arg("results", 100_000);

/** Runs every trial in-process: `perTrial` results, then a clean exit, on the next turn of the loop. */
class InstantExecutor implements Executor {
  constructor(private readonly perTrial: number) {}
  start(_launch: TrialLaunch, events: TrialEvents) {
    setImmediate(() => {
      for (let i = 0; i < this.perTrial; i++) events.onReport({ result: { loss: 1 / (i + 1), acc: i / this.perTrial } });
      events.onExit({ code: 0, signal: null, stderrTail: "" });
    });
    return { pid: undefined, stop: async () => {} };
  }
  async close() {}
}

async function runEngine(base: string, trials: number, perTrial: number): Promise<{ seconds: number; dir: string }> {
  const root = mkdtempSync(join(base, "tunelab-bench-"));
  const dir = join(root, "exp");
  mkdirSync(dir);
  const config: TuneConfig = {
    name: "bench", trainable: { command: ["noop"] },
    space: { lr: loguniform(1e-4, 1e-1), momentum: uniform(0.5, 0.99), batch: choice([16, 32, 64]) },
    metric: "loss", mode: "min", samples: trials, concurrency: 8,
  };
  const runner = new Runner({
    config, configPath: join(root, "tune.config.ts"), expDir: dir, seed: 1,
    executor: new InstantExecutor(perTrial), capacity: { cpus: 8, gpus: 0 },
  });
  const start = performance.now();
  const summary = await runner.run();
  const seconds = (performance.now() - start) / 1000;
  if (summary.outcome !== "completed" || summary.trials.length !== trials) throw new Error(`bench run ended ${summary.outcome}`);
  return { seconds, dir };
}

function optuna(trials: number): number | undefined {
  try {
    const out = execFileSync("/usr/bin/python3", [join(import.meta.dirname, "optuna_noop.py"), String(trials), "memory"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    return (JSON.parse(out) as { seconds: number }).seconds;
  } catch {
    return undefined;
  }
}

const fmt = (n: number, d = 3): string => n.toFixed(d);

/** The filesystem's own cost of one trial's files (a dir and three files), measured on `base` in this run. */
function filesystemFloorMs(base: string, n = 2000): number {
  const root = mkdtempSync(join(base, "tunelab-fs-"));
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const d = join(root, String(i));
    mkdirSync(d);
    for (const f of ["params.json", "result.json", "progress.csv"]) writeFileSync(join(d, f), "{}\n");
  }
  const ms = (performance.now() - start) / n;
  rmSync(root, { recursive: true, force: true });
  return ms;
}

interface Measured {
  storage: string;
  overheadMsPerTrial: number;
  filesystemFloorMsPerTrial: number;
  resultsPerSecond: number;
  replaySeconds: number;
  journalEvents: number;
}

async function measure(base: string): Promise<Measured> {
  const floor = filesystemFloorMs(base);
  const overhead = await runEngine(base, TRIALS, 1);
  const replayStart = performance.now();
  const text = readFileSync(join(overhead.dir, "events.jsonl"), "utf8");
  const state = replay(parseJournal(text).events);
  const replaySeconds = (performance.now() - replayStart) / 1000;
  if (state.trials.length !== TRIALS) throw new Error("replay lost trials");
  const perTrialResults = 1000;
  const ingest = await runEngine(base, Math.ceil(RESULTS / perTrialResults), perTrialResults);
  rmSync(join(overhead.dir, ".."), { recursive: true, force: true });
  rmSync(join(ingest.dir, ".."), { recursive: true, force: true });
  return {
    storage: base, overheadMsPerTrial: (overhead.seconds * 1000) / TRIALS, filesystemFloorMsPerTrial: floor,
    resultsPerSecond: RESULTS / ingest.seconds, replaySeconds, journalEvents: text.split("\n").length - 1,
  };
}

const bases = [tmpdir(), ...(existsSync("/dev/shm") && tmpdir() !== "/dev/shm" ? ["/dev/shm"] : [])];
const runs: Measured[] = [];
for (const base of bases) runs.push(await measure(base));
const optunaS = optuna(TRIALS);
const optunaMs = optunaS === undefined ? undefined : (optunaS * 1000) / TRIALS;

const ok = (pass: boolean): string => (pass ? "ok" : "MISSED");
if (optunaMs !== undefined) console.log(`baseline: optuna in-memory (no journal, no files) ${fmt(optunaMs)} ms/trial over ${TRIALS} no-op trials`);
else console.log("baseline: optuna skipped (/usr/bin/python3 with python3-optuna not found)");
for (const m of runs) {
  console.log(`\nstorage ${m.storage}:`);
  console.log(`  runner overhead: ${fmt(m.overheadMsPerTrial)} ms/trial over ${TRIALS} no-op trials (target ≤ 1 ms) ${ok(m.overheadMsPerTrial <= 1)}` +
    (optunaMs !== undefined ? `; ratio to optuna ${fmt(m.overheadMsPerTrial / optunaMs, 2)}` : ""));
  console.log(`    of which the filesystem's floor (mkdir + 3 file creates, same disk, same run): ${fmt(m.filesystemFloorMsPerTrial)} ms;` +
    ` engine beyond it: ${fmt(Math.max(0, m.overheadMsPerTrial - m.filesystemFloorMsPerTrial))} ms`);
  console.log(`  results ingested and journaled: ${Math.round(m.resultsPerSecond).toLocaleString("en")} results/s (target ≥ 50,000) ${ok(m.resultsPerSecond >= 50_000)}`);
  console.log(`  journal replay: ${fmt(m.replaySeconds)} s for ${TRIALS} trials, ${m.journalEvents} events (target < 1 s) ${ok(m.replaySeconds < 1)}`);
}
const report = { date: new Date().toISOString(), trials: TRIALS, results: RESULTS, optunaInMemoryMsPerTrial: optunaMs ?? null, runs,
  targets: { overheadMsPerTrial: 1, resultsPerSecond: 50_000, replaySeconds: 1 } };
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(join(import.meta.dirname, "results", "engine.json"), `${JSON.stringify(report, null, 2)}\n`);
