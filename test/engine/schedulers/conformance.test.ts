/**
 * Laws every scheduler keeps, run over all of them in the simulator: decisions
 * only about known trials, no deadlock (with errors and early finishes), a
 * lone or dominant trial is never stopped early, save → JSON → restore mid-run
 * changes nothing, and the same seed gives the same decisions.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { SchedulerSpec } from "../../../src/engine/config.ts";
import type { Scheduler } from "../../../src/engine/interfaces.ts";
import { loguniform } from "../../../src/engine/space/domains.ts";
import {
  asha, createScheduler, fifo, hyperband, hyperbandForBohb, medianStopping, pb2, pbt, resourceChanging,
} from "../../../src/engine/schedulers/index.ts";
import { curve, population } from "./fixtures.ts";
import { decisionTrace, simulate, type SimOptions } from "./simulator.ts";

const mutations = { lr: loguniform(1e-3, 1), width: [16, 32, 64] };
const SPECS: Record<string, SchedulerSpec> = {
  fifo: fifo(),
  asha: asha({ maxT: 27, reductionFactor: 3 }),
  "asha with 3 brackets": asha({ maxT: 27, reductionFactor: 3, brackets: 3 }),
  hyperband: hyperband({ maxT: 27, reductionFactor: 3 }),
  hyperbandForBohb: hyperbandForBohb({ maxT: 27, reductionFactor: 3 }),
  medianStopping: medianStopping({ timeAttr: "training_iteration", gracePeriod: 3, minSamplesRequired: 2 }),
  "medianStopping (soft)": medianStopping({ timeAttr: "training_iteration", gracePeriod: 3, minSamplesRequired: 2, hardStop: false }),
  pbt: pbt({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamMutations: mutations }),
  "pbt (synch)": pbt({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamMutations: mutations, synch: true }),
  pb2: pb2({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamBounds: { lr: [1e-3, 1] } }),
  "pb2 (synch)": pb2({ timeAttr: "training_iteration", perturbationInterval: 4, hyperparamBounds: { lr: loguniform(1e-3, 1), width: [16, 64] }, synch: true }),
  "resourceChanging(asha)": resourceChanging(asha({ maxT: 27, reductionFactor: 3 }), { capacity: { cpu: 4, gpu: 0 } }),
};

const make = (spec: SchedulerSpec) => (): Scheduler => createScheduler(spec);

function run(spec: SchedulerSpec, extra: Partial<SimOptions> = {}) {
  return simulate({
    scheduler: make(spec)(), configs: population(24), curve, maxIterations: 27, concurrency: 4, seed: 11, ...extra,
  });
}

for (const [name, spec] of Object.entries(SPECS)) {
  test(`${name}: decides only about known trials, and every trial ends`, () => {
    const out = run(spec);
    assert.deepEqual(out.violations, []);
    assert.deepEqual(out.stuck, []);
    const ids = new Set(out.trials.map((t) => t.id));
    for (const e of out.log) assert.ok(ids.has(e.trialId), `decision for unknown trial ${e.trialId}`);
    for (const t of out.trials) assert.ok(t.status === "TERMINATED" || t.status === "ERROR", `${t.id} ended ${t.status}`);
  });

  test(`${name}: never deadlocks when trials error or finish early`, () => {
    const out = run(spec, { failAt: (c) => (Number(c.q) < 0.45 ? 2 : Number(c.q) > 0.9 ? 5 : undefined), maxIterations: 12, concurrency: 3 });
    assert.deepEqual(out.violations, []);
    assert.deepEqual(out.stuck, []);
    assert.ok(out.trials.some((t) => t.status === "ERROR"));
  });

  test(`${name}: a lone trial runs to the end`, () => {
    const out = run(spec, { configs: [{ q: 0.8, lr: 0.1, width: 32 }] });
    assert.equal(out.trials[0]?.iteration, 27);
    assert.deepEqual(out.stuck, []);
  });

  test(`${name}: the dominant trial is never stopped early`, () => {
    const configs = population(16).map((c, i) => (i === 5 ? { q: 5, lr: 0.1, width: 32 } : c));
    const out = run(spec, { configs });
    const best = out.trials[5];
    assert.equal(best?.iteration, 27, `best trial stopped at ${best?.iteration}`);
    assert.ok(!out.log.some((e) => e.trialId === best?.id && typeof e.decision === "object" && e.decision.kind === "EXPLOIT"));
  });

  test(`${name}: save → JSON → restore mid-run gives the same decisions`, () => {
    const plain = decisionTrace(run(spec).log);
    for (const at of [5, 40, 150]) {
      const resumed = decisionTrace(run(spec, { restoreAfter: at, fresh: make(spec) }).log);
      assert.deepEqual(resumed, plain, `restored after ${at} results`);
    }
  });

  test(`${name}: the same seed gives the same decisions`, () => {
    assert.deepEqual(decisionTrace(run(spec).log), decisionTrace(run(spec).log));
  });
}

test("early-stopping schedulers do less work than FIFO for the same trials", () => {
  const work = (spec: SchedulerSpec): number => run(spec).iterations;
  const full = work(fifo());
  for (const name of ["asha", "hyperband", "medianStopping"]) {
    assert.ok(work(SPECS[name] as SchedulerSpec) < 0.7 * full, `${name} did not stop trials early`);
  }
});
