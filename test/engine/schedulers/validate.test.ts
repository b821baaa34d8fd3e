/** The validation rules for scheduler specs, as a table. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { asha, hyperband, medianStopping, pbt, pbtReplay, resourceChanging } from "../../../src/engine/schedulers/index.ts";
import { validateScheduler } from "../../../src/engine/schedulers/validate.ts";
import { DYNAMIC } from "../../../src/engine/space/diagnostics.ts";
import { choice, loguniform, sampleFrom, uniform } from "../../../src/engine/space/domains.ts";

const ctx = { metric: "acc", mode: "max", spaceKeys: [["lr"], ["opt"], ["model", "width"]], space: { lr: loguniform(1e-4, 1), opt: choice(["adam", "sgd"]), model: { width: 32 } } };

const CASES: [string, unknown, object, string | undefined, (string | number)[] | undefined][] = [
  ["a valid ASHA", asha({ maxT: 10, gracePeriod: 2 }), ctx, undefined, undefined],
  ["gracePeriod larger than maxT", asha({ maxT: 10, gracePeriod: 20 }), ctx, "scheduler-grace-exceeds-max", ["scheduler", "gracePeriod"]],
  ["reductionFactor ≤ 1", hyperband({ reductionFactor: 1 }), ctx, "scheduler-reduction-factor", ["scheduler", "reductionFactor"]],
  ["brackets < 1", asha({ brackets: 0 }), ctx, "scheduler-brackets", ["scheduler", "brackets"]],
  ["unknown option with a Ray name", { kind: "asha", grace_period: 3 }, ctx, "scheduler-unknown-option", ["scheduler", "grace_period"]],
  ["unknown kind", { kind: "hyperbnd" }, ctx, "scheduler-unknown-kind", ["scheduler", "kind"]],
  ["no metric anywhere", medianStopping(), { mode: "max" }, "scheduler-metric-missing", ["scheduler", "metric"]],
  ["no mode anywhere", asha({ metric: "acc" }), {}, "scheduler-mode-missing", ["scheduler", "mode"]],
  ["metric in the scheduler's own options", asha({ metric: "acc", mode: "max" }), {}, undefined, undefined],
  ["perturbationInterval ≤ 0", pbt({ perturbationInterval: 0, hyperparamMutations: { lr: loguniform(1e-4, 1) } }), ctx, "pbt-interval", ["scheduler", "perturbationInterval"]],
  ["quantileFraction above 0.5", pbt({ quantileFraction: 0.6, hyperparamMutations: { lr: [0.1] } }), ctx, "pbt-quantile", ["scheduler", "quantileFraction"]],
  ["quantileFraction 0", pbt({ quantileFraction: 0, hyperparamMutations: { lr: [0.1] } }), ctx, "pbt-quantile", ["scheduler", "quantileFraction"]],
  ["a mutation key not in the space", pbt({ hyperparamMutations: { lrr: loguniform(1e-4, 1) } }), ctx, "pbt-mutation-unknown-key", ["scheduler", "hyperparamMutations", "lrr"]],
  ["a nested mutation key", pbt({ hyperparamMutations: { model: { width: [16, 32] } } }), ctx, undefined, undefined],
  ["factor perturbation of a string choice", pbt({ hyperparamMutations: { opt: uniform(0, 1) } }), ctx, "pbt-factor-non-numeric", ["scheduler", "hyperparamMutations", "opt"]],
  ["sampleFrom as a mutation", pbt({ hyperparamMutations: { lr: sampleFrom(() => 1) } }), ctx, "pbt-mutation-sample-from", ["scheduler", "hyperparamMutations", "lr"]],
  ["no mutations", pbt({}), ctx, "pbt-no-mutations", ["scheduler", "hyperparamMutations"]],
  ["replay without a file", { kind: "pbt_replay" }, ctx, "pbt-replay-policy-file", ["scheduler", "policyFile"]],
  ["a valid replay", pbtReplay({ policyFile: "p.txt" }), {}, undefined, undefined],
  ["the base of resourceChanging", resourceChanging(asha({ reductionFactor: 0.5 })), ctx, "scheduler-reduction-factor", ["scheduler", "base", "reductionFactor"]],
  ["values the language server could not evaluate", asha({ maxT: DYNAMIC as unknown as number, gracePeriod: 3 }), ctx, undefined, undefined],
];

for (const [name, spec, c, code, path] of CASES) {
  test(`scheduler rule: ${name}`, () => {
    const ds = validateScheduler(spec, c);
    if (code === undefined) assert.deepEqual(ds, []);
    else {
      const d = ds.find((x) => x.code === code);
      assert.ok(d, `expected ${code}, got ${JSON.stringify(ds)}`);
      assert.deepEqual(d.path, path);
    }
  });
}

test("scheduler rule: did-you-mean suggestions for options and mutation keys", () => {
  assert.equal(validateScheduler({ kind: "asha", grace_period: 3 }, ctx)[0]?.data?.suggestion, "gracePeriod");
  assert.equal(validateScheduler({ kind: "median_stopping", min_time_slice: 3 }, ctx)[0]?.data?.suggestion, "minTimeSliceS");
  assert.equal(validateScheduler(pbt({ hyperparamMutations: { lrr: [1] } }), ctx)[0]?.data?.suggestion, "lr");
});
