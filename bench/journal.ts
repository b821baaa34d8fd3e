/**
 * Store benchmark: results ingested and journaled per second (journal events,
 * result.json and progress.csv included, fdatasync included), and the time to
 * replay the journal this produces (10k trials). Baseline, measured in the
 * same run: one write + fdatasync per result, the naive way.
 * Run: node --import tsx bench/journal.ts [trials] [resultsPerTrial]
 */
import { appendFileSync, closeSync, fdatasyncSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Journal, readJournalSync } from "../src/engine/store/journal.ts";
import { replay } from "../src/engine/store/state.ts";
import { createTrialDir, TrialFileWriters } from "../src/engine/store/trial-files.ts";
import type { Result } from "../src/engine/interfaces.ts";

const TRIALS = Number(process.argv[2] ?? 10_000);
const PER_TRIAL = Number(process.argv[3] ?? 10);
const CONCURRENCY = 16; // trials running at once, as on a 16-core machine
const TARGET_RATE = 50_000;
const TARGET_REPLAY_S = 1;

const trialId = (i: number): string => `bench_${String(i).padStart(5, "0")}`;

function result(i: number, iter: number): Result {
  return {
    loss: 1 / (iter + 1) + (i % 97) / 1000,
    accuracy: 1 - 1 / (iter + 2),
    lr: 0.001 * ((i % 10) + 1),
    training_iteration: iter,
    time_this_iter_s: 0.0123,
    time_total_s: 0.0123 * iter,
    timestamp: 1_700_000_000 + iter,
    trial_id: trialId(i),
    done: iter === PER_TRIAL,
    config: { lr: 0.001 * ((i % 10) + 1), batch_size: 32 << (i % 3), optimizer: "adam" },
  };
}

interface IngestTimes {
  /** Creating the trials: trial events, dirs, params.json, empty result.json/progress.csv. */
  setupSeconds: number;
  /** Start, result and end events with result.json/progress.csv appends, until all are acknowledged. */
  ingestSeconds: number;
}

/**
 * Runs the whole experiment's store traffic. Trials are created first (a
 * per-trial cost, dominated by file creation), then results arrive from
 * CONCURRENCY running trials at a time; the flush timer batches them.
 */
async function ingest(dir: string): Promise<IngestTimes> {
  const writers = new TrialFileWriters();
  const journal = Journal.open(dir, { beforeFlush: () => writers.flushAll() });
  const ts = Date.now();
  const t0 = performance.now();
  journal.append({ t: "experiment", ts, name: "bench", seed: 1, configPath: "tune.config.ts", metric: "loss", mode: "min" });
  for (let i = 0; i < TRIALS; i++) {
    const id = trialId(i);
    const config = { lr: 0.001 * ((i % 10) + 1), batch_size: 32 << (i % 3), optimizer: "adam" };
    journal.append({ t: "trial", ts, id, index: i, config, resources: { cpu: 1, gpu: 0 } });
    createTrialDir(join(dir, `trial_${id}`), config);
  }
  await journal.flush();
  const t1 = performance.now();
  const running: { i: number; iter: number }[] = [];
  let next = 0;
  let sinceYield = 0;
  const startTrial = (): void => {
    const i = next++;
    const id = trialId(i);
    writers.open(id, join(dir, `trial_${id}`), []);
    journal.append({ t: "start", ts, id, attempt: 1, iteration: 0, pid: 1000 + i });
    running.push({ i, iter: 0 });
  };
  while (next < Math.min(CONCURRENCY, TRIALS)) startTrial();
  for (let slot = 0; running.length > 0; slot = (slot + 1) % Math.max(1, running.length)) {
    const run = running[slot]!;
    const r = result(run.i, ++run.iter);
    const json = JSON.stringify(r);
    journal.appendResult(ts, r.trial_id!, json);
    writers.append(r.trial_id!, r, json);
    if (run.iter === PER_TRIAL) {
      journal.append({ t: "end", ts, id: r.trial_id!, status: "TERMINATED" });
      writers.close(r.trial_id!);
      running.splice(slot, 1);
      if (next < TRIALS) startTrial();
    }
    // Results arrive from child processes between event-loop turns; let the flush timer run.
    if (++sinceYield === 1000) {
      sinceYield = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await journal.flush();
  const t2 = performance.now();
  writers.closeAll();
  journal.close();
  return { setupSeconds: (t1 - t0) / 1000, ingestSeconds: (t2 - t1) / 1000 };
}

/** The naive way, for the ratio: every result written and synced on its own. */
function naive(dir: string, results: number): number {
  const trialDir = join(dir, "trial_naive");
  mkdirSync(trialDir, { recursive: true });
  const fd = openSync(join(dir, "events.jsonl"), "a");
  const t0 = performance.now();
  for (let k = 0; k < results; k++) {
    const r = result(0, k + 1);
    const json = JSON.stringify(r);
    appendFileSync(fd, `{"t":"result","ts":0,"id":"naive","r":${json}}\n`);
    fdatasyncSync(fd);
    appendFileSync(join(trialDir, "result.json"), json + "\n");
    appendFileSync(join(trialDir, "progress.csv"), Object.values(r).join(",") + "\n");
  }
  closeSync(fd);
  return (performance.now() - t0) / 1000;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "tunelab-bench-"));
  try {
    const results = TRIALS * PER_TRIAL;
    const naiveN = 2000;
    const naiveS = naive(join(root, "naive"), naiveN);
    const naiveRate = naiveN / naiveS;

    const { setupSeconds, ingestSeconds: ingestS } = await ingest(join(root, "exp"));
    const rate = results / ingestS;
    const endToEndRate = results / (setupSeconds + ingestS);
    const journalBytes = statSync(join(root, "exp", "events.jsonl")).size;

    const replays: { parse: number; replay: number; events: number; trials: number }[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      const parsed = readJournalSync(join(root, "exp"));
      const t1 = performance.now();
      const state = replay(parsed.events);
      const t2 = performance.now();
      replays.push({ parse: (t1 - t0) / 1000, replay: (t2 - t1) / 1000, events: parsed.events.length, trials: state.trials.length });
    }
    const replayS = median(replays.map((r) => r.parse + r.replay));
    const out = {
      date: new Date().toISOString(),
      node: process.version,
      trials: TRIALS,
      resultsPerTrial: PER_TRIAL,
      concurrency: CONCURRENCY,
      results,
      trialSetupSeconds: setupSeconds,
      trialsCreatedPerSecond: Math.round(TRIALS / setupSeconds),
      ingestSeconds: ingestS,
      resultsPerSecond: Math.round(rate),
      endToEndResultsPerSecond: Math.round(endToEndRate),
      naiveResultsPerSecond: Math.round(naiveRate),
      speedupOverNaive: rate / naiveRate,
      journalEvents: replays[0]!.events,
      journalBytes,
      replaySeconds: replayS,
      replayParseSeconds: median(replays.map((r) => r.parse)),
      replayReduceSeconds: median(replays.map((r) => r.replay)),
      targets: { resultsPerSecond: TARGET_RATE, replaySeconds: TARGET_REPLAY_S },
      met: rate >= TARGET_RATE && replayS < TARGET_REPLAY_S,
    };
    const mark = (ok: boolean): string => (ok ? "ok" : "MISSED");
    console.log(`ingest: ${results} results (${TRIALS} trials x ${PER_TRIAL}) in ${ingestS.toFixed(3)} s = ${Math.round(rate)} results/s (target >= ${TARGET_RATE}: ${mark(rate >= TARGET_RATE)})`);
    console.log(`trial setup: ${TRIALS} trials (dir, params.json, empty result.json/progress.csv, trial event) in ${setupSeconds.toFixed(3)} s = ${Math.round(TRIALS / setupSeconds)} trials/s; end to end ${Math.round(endToEndRate)} results/s`);
    console.log(`naive baseline (fsync per result): ${Math.round(naiveRate)} results/s; batched is ${(rate / naiveRate).toFixed(1)}x`);
    console.log(`replay: ${out.journalEvents} events (${(journalBytes / 1e6).toFixed(1)} MB) in ${replayS.toFixed(3)} s = parse ${out.replayParseSeconds.toFixed(3)} + reduce ${out.replayReduceSeconds.toFixed(3)} (target < ${TARGET_REPLAY_S} s: ${mark(replayS < TARGET_REPLAY_S)})`);
    const file = join(dirname(fileURLToPath(import.meta.url)), "results", "journal.json");
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(out, null, 2) + "\n");
    console.log(`wrote ${file}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
