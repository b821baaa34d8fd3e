/** ResourceChangingScheduler: RESOURCES decisions from the default allocation. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { asha, createScheduler, fifo, resourceChanging } from "../../../src/engine/schedulers/index.ts";
import { curve, population } from "./fixtures.ts";
import { simulate } from "./simulator.ts";

test("resourceChanging spreads free CPUs over the running trials and lets the best keep the remainder", () => {
  const out = simulate({
    scheduler: createScheduler(resourceChanging(fifo(), { capacity: { cpu: 7, gpu: 0 } })),
    configs: population(2), curve, maxIterations: 6, concurrency: 2,
  });
  const grants = out.log.filter((e) => typeof e.decision === "object" && e.decision.kind === "RESOURCES");
  assert.ok(grants.length >= 2);
  const final = out.trials.map((t) => t.resources.cpu).sort();
  assert.deepEqual(final, [3, 4], "7 CPUs over 2 trials: 3 each, the extra one to the better trial");
  const better = [...out.trials].sort((a, b) => Number(b.lastResult?.score) - Number(a.lastResult?.score))[0];
  assert.equal(better?.resources.cpu, 4);
  assert.deepEqual(out.stuck, []);
});

test("resourceChanging passes the base scheduler's STOP through", () => {
  const out = simulate({
    scheduler: createScheduler(resourceChanging(asha({ maxT: 9, reductionFactor: 3 }), { capacity: { cpu: 4, gpu: 0 } })),
    configs: population(12), curve, maxIterations: 9, concurrency: 2,
  });
  assert.ok(out.log.some((e) => e.decision === "STOP"));
  assert.deepEqual(out.violations, []);
});

test("resourceChanging names the missing capacity", () => {
  const s = createScheduler(resourceChanging(fifo()));
  assert.throws(() => s.setup({ metric: "score", mode: "max", seed: 1, clock: { now: () => 0 } }), /capacity is unknown; pass resourceChanging\(base, \{ capacity/);
});
