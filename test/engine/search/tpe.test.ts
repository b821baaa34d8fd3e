import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as d from "../../../src/engine/space/domains.ts";
import { createSearcher, randomSearch, tpe } from "../../../src/engine/search/index.ts";
import type { SearchSpec } from "../../../src/engine/config.ts";

// A shifted ellipsoid plus a curved valley term: smooth, 4-D, minimum 0 at OPT.
const OPT = [1, -2, 0.5, 3];
const f = (x: number[]): number => x.reduce((s, v, i) => s + (i + 1) * (v - (OPT[i] as number)) ** 2, 0)
  + 5 * ((x[1] as number) - (OPT[1] as number) - ((x[0] as number) - (OPT[0] as number)) ** 2) ** 2;
const space = Object.fromEntries(OPT.map((_, i) => [`x${i}`, d.uniform(-5, 5)]));

function bestAfter(spec: SearchSpec, seed: number, trials: number): number {
  const s = createSearcher(spec);
  s.setup({ space, metric: "loss", mode: "min", samples: trials, seed, clock: { now: () => 0 } });
  let best = Infinity;
  for (let i = 0; i < trials; i++) {
    const c = s.suggest(`t${i}`);
    if (typeof c === "string") break;
    const loss = f(OPT.map((_, k) => c[`x${k}`] as number));
    best = Math.min(best, loss);
    s.onTrialComplete(`t${i}`, { loss, training_iteration: 1 }, false);
  }
  return best;
}
const medianBest = (spec: SearchSpec): number => {
  const xs = Array.from({ length: 9 }, (_, seed) => bestAfter(spec, seed, 120)).sort((a, b) => a - b);
  return xs[4] as number;
};

void describe("TPE flavours", () => {
  void it("the default (joint kernels, one clip floor) converges further than Optuna's flavour, which beats random search", () => {
    const ours = medianBest(tpe());
    const optuna = medianBest(tpe({ flavor: "optuna" }));
    const random = medianBest(randomSearch());
    console.log(`median best of 9 seeds × 120 trials: tunelab ${ours.toPrecision(3)}, optuna flavour ${optuna.toPrecision(3)}, random ${random.toPrecision(3)}`);
    assert.ok(ours < optuna / 2, `tunelab ${ours} vs optuna flavour ${optuna}`);
    assert.ok(optuna < random, `optuna flavour ${optuna} vs random ${random}`);
  });
});
