/** Behaviours of ASHA, HyperBand, HyperBandForBOHB and the median stopping rule. */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Result, Scheduler, TrialView } from "../../../src/engine/interfaces.ts";
import { asha, createScheduler, hyperband, hyperbandForBohb, medianStopping } from "../../../src/engine/schedulers/index.ts";
import { createRng } from "../../../src/engine/random.ts";
import { curve, population } from "./fixtures.ts";
import { SimTrial, simulate } from "./simulator.ts";

const clock = { now: () => 0 };
const setup = (s: Scheduler, mode: "min" | "max" = "max"): Scheduler => {
  s.setup({ metric: "score", mode, seed: 1, clock });
  return s;
};
const trial = (i: number): SimTrial => new SimTrial(`t${i}`, i, {}, { cpu: 1, gpu: 0 });
const res = (it: number, score: number): Result => ({ training_iteration: it, score });

test("ASHA stops a trial below the 1 - 1/rf quantile of its rung and keeps one above", () => {
  const s = setup(createScheduler(asha({ maxT: 16, reductionFactor: 4 })));
  const ts = Array.from({ length: 7 }, (_, i) => trial(i));
  ts.forEach((t) => s.onTrialAdd(t));
  // Each score beats the quantile of those before it.
  for (let i = 0; i < 5; i++) assert.equal(s.onTrialResult(ts[i] as TrialView, res(1, i + 1)), "CONTINUE");
  // Rung 1 now holds 1..5: the 75th percentile is 4.
  assert.equal(s.onTrialResult(ts[5] as TrialView, res(1, 4.5)), "CONTINUE");
  // Now 1..5 and 4.5: the 75th percentile is 4.375.
  assert.equal(s.onTrialResult(ts[6] as TrialView, res(1, 4.3)), "STOP");
});

test("ASHA in min mode stops the trials with the largest loss", () => {
  const s = setup(createScheduler(asha({ maxT: 16, reductionFactor: 2 })), "min");
  const [a, b] = [trial(0), trial(1)];
  s.onTrialAdd(a);
  s.onTrialAdd(b);
  assert.equal(s.onTrialResult(a, res(1, 0.1)), "CONTINUE");
  assert.equal(s.onTrialResult(b, res(1, 0.9)), "STOP");
});

test("ASHA stops about the bottom 3/4 at each rung", () => {
  const rng = createRng(5);
  // Trials run at different speeds, so the order they reach a rung is unrelated to their quality.
  const configs = Array.from({ length: 256 }, () => ({ q: rng.next(), lr: 0.1, secs: 0.2 + 5 * rng.next() }));
  const out = simulate({
    scheduler: createScheduler(asha({ maxT: 64, gracePeriod: 1, reductionFactor: 4 })), configs, curve, maxIterations: 64,
    concurrency: 64, secondsPerIteration: (c) => Number(c.secs),
  });
  const reached = (it: number): number => out.trials.filter((t) => t.iteration >= it).length;
  // At the first rung arrivals are in random order of quality: about 1/4 go on. Higher rungs see
  // the early promoted (weaker, promoted against a lower bar) first, which is ASHA's known bias:
  // more than 1/4 go on there, but every rung still cuts the field.
  const first = reached(4) / reached(1);
  assert.ok(first > 0.18 && first < 0.35, `from rung 1 to 4: ${reached(4)}/${reached(1)}`);
  assert.ok(reached(16) < 0.5 * reached(4) && reached(64) < 0.75 * reached(16), `reached rungs: ${[1, 4, 16, 64].map(reached).join(", ")}`);
  assert.ok(reached(64) <= 20);
});

test("ASHA stops trials at maxT when stopLastTrials is set", () => {
  const s = setup(createScheduler(asha({ maxT: 4 })));
  const t = trial(0);
  s.onTrialAdd(t);
  assert.equal(s.onTrialResult(t, res(4, 1)), "STOP");
  const keep = setup(createScheduler(asha({ maxT: 4, stopLastTrials: false })));
  keep.onTrialAdd(t);
  assert.equal(keep.onTrialResult(t, res(4, 1)), "CONTINUE");
});

test("HyperBand resumes the top 1/3 from their checkpoints and stops the rest", () => {
  // maxT 9, eta 3: brackets of 3 trials × 9, 5 × 3 → 9, then 9 × 1 → 3 → 9.
  const configs = Array.from({ length: 17 }, (_, i) => ({ q: ((i * 7) % 17) / 17 + 0.1, lr: 0.1 }));
  const out = simulate({ scheduler: createScheduler(hyperband({ maxT: 9, reductionFactor: 3 })), configs, curve, maxIterations: 9, concurrency: 3 });
  assert.deepEqual(out.stuck, []);
  const third = out.trials.slice(8); // the 9-trial bracket
  const score1 = (t: SimTrial): number => Number(t.config.q);
  const top3 = [...third].sort((a, b) => score1(b) - score1(a)).slice(0, 3).map((t) => t.id).sort();
  const past1 = third.filter((t) => t.iteration > 1).map((t) => t.id).sort();
  assert.deepEqual(past1, top3);
  for (const t of third.filter((x) => past1.includes(x.id))) {
    const resumed = out.log.find((e) => e.trialId === t.id && e.decision === "PAUSE");
    assert.ok(resumed && resumed.iteration === 1, `${t.id} paused at its first rung`);
  }
  // Of those three, the best one goes on to 9.
  assert.deepEqual(third.filter((t) => t.iteration === 9).map((t) => t.id), [top3.find((id) => third.find((t) => t.id === id && t.iteration === 9)) as string]);
  // Losers that were PAUSED are stopped by an action (not by a result of theirs).
  assert.ok(out.log.some((e) => e.via === "action" && e.decision === "STOP"));
});

test("HyperBand does not wait for a trial that errored in its bracket", () => {
  const configs = population(9).map((c, i) => ({ ...c, fail: i === 4 }));
  const out = simulate({
    scheduler: createScheduler(hyperband({ maxT: 9, reductionFactor: 3 })), configs, curve, maxIterations: 9, concurrency: 2,
    failAt: (c) => (c.fail ? 2 : undefined),
  });
  assert.deepEqual(out.stuck, []);
  assert.equal(out.trials[4]?.status, "ERROR");
});

test("HyperBand settles an unfilled bracket once no more trials come", () => {
  // 5 trials, but the most exploratory bracket (maxT 9, eta 3) would take 3: the second bracket stays short.
  const out = simulate({ scheduler: createScheduler(hyperband({ maxT: 9, reductionFactor: 3 })), configs: population(5), curve, maxIterations: 9, concurrency: 2 });
  assert.deepEqual(out.stuck, []);
  assert.ok(out.trials.every((t) => t.status === "TERMINATED"));
});

test("HyperBandForBOHB fills the most exploratory bracket first and reports the rung budget", () => {
  const s = setup(createScheduler(hyperbandForBohb({ maxT: 9, reductionFactor: 3 })));
  const ts = Array.from({ length: 9 }, (_, i) => trial(i));
  ts.forEach((t) => s.onTrialAdd(t));
  const state = s.save() as { brackets: { n0: number; r: number }[] };
  assert.deepEqual(state.brackets.map((b) => [b.n0, b.r]), [[9, 1]]);
  const r = res(1, 0.5);
  ts[0]!.status = "RUNNING";
  assert.equal(s.onTrialResult(ts[0] as TrialView, r), "PAUSE");
  assert.deepEqual(r.hyperband_info, { budget: 1 });
});

test("median stopping stops a trial whose best result is below the median of the others' running averages", () => {
  const s = setup(createScheduler(medianStopping({ timeAttr: "training_iteration", gracePeriod: 1, minSamplesRequired: 2 })));
  const [a, b, c] = [trial(0), trial(1), trial(2)];
  [a, b, c].forEach((t) => s.onTrialAdd(t));
  for (const [t, v] of [[a, 1], [b, 3]] as const) {
    s.onTrialResult(t, res(1, v));
    s.onTrialResult(t, res(2, v));
  }
  // The others' running averages are 1 and 3: median 2.
  assert.equal(s.onTrialResult(c, res(1, 1.5)), "STOP");
  const d = trial(3);
  s.onTrialAdd(d);
  assert.equal(s.onTrialResult(d, res(1, 2.5)), "CONTINUE");
  assert.equal(s.onTrialResult(d, res(2, 0)), "CONTINUE", "its best (2.5) still beats the median");
});

test("median stopping waits for the grace period and for minSamplesRequired peers", () => {
  const s = setup(createScheduler(medianStopping({ timeAttr: "training_iteration", gracePeriod: 3, minSamplesRequired: 1 })));
  const [a, b] = [trial(0), trial(1)];
  [a, b].forEach((t) => s.onTrialAdd(t));
  for (let i = 1; i <= 3; i++) s.onTrialResult(a, res(i, 10));
  assert.equal(s.onTrialResult(b, res(1, 0)), "CONTINUE");
  assert.equal(s.onTrialResult(b, res(2, 0)), "CONTINUE");
  assert.equal(s.onTrialResult(b, res(3, 0)), "STOP");
});

test("schedulers name the missing metric or mode", () => {
  const s = createScheduler(asha());
  assert.throws(() => s.setup({ metric: undefined, mode: "max", seed: 1, clock }), /asha: no metric.*set `metric`/);
  assert.throws(() => createScheduler(hyperband()).setup({ metric: "x", mode: undefined, seed: 1, clock }), /hyperband: mode must be "min" or "max"/);
  assert.throws(() => createScheduler(asha({ gracePeriod: 10, maxT: 5 })), /gracePeriod \(10\) must be ≤ maxT \(5\)/);
  assert.throws(() => createScheduler({ kind: "asha", grace_period: 3 }), /unknown option "grace_period" \(did you mean "gracePeriod"\?\)/);
  assert.throws(() => createScheduler({ kind: "ashaa" }), /unknown kind "ashaa" \(did you mean "asha"\?\)/);
});
