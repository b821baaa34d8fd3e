import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { createStopper } from "../../src/engine/stoppers/stopper.ts";
import { experimentTimeout, maxIterations, plateau, stopWhen, trialTimeout } from "../../src/engine/stoppers/specs.ts";

const clockAt = (ms: { now: number }) => ({ now: () => ms.now });

describe("stoppers", () => {
  it("dict criteria stop once any key reaches its value, and ignore missing keys", () => {
    const s = createStopper({ training_iteration: 3, acc: 0.9 }, clockAt({ now: 0 }));
    assert.equal(s.onResult("t", { training_iteration: 2, acc: 0.5 }), undefined);
    assert.equal(s.onResult("t", { training_iteration: 2 }), undefined);
    assert.match(s.onResult("t", { training_iteration: 2, acc: 0.95 })!, /acc 0.95 >= 0.9/);
    assert.match(s.onResult("t", { training_iteration: 3 })!, /training_iteration 3 >= 3/);
  });

  it("maxIterations, a function and a list combine (any one stops)", () => {
    const s = createStopper([maxIterations(5), stopWhen((_id, r) => r.loss === 0), (id) => id === "bad"], clockAt({ now: 0 }));
    assert.equal(s.onResult("t", { training_iteration: 4, loss: 1 }), undefined);
    assert.match(s.onResult("t", { training_iteration: 5, loss: 1 })!, /5 iterations/);
    assert.match(s.onResult("t", { training_iteration: 1, loss: 0 })!, /function/);
    assert.match(s.onResult("bad", { training_iteration: 1, loss: 1 })!, /function/);
  });

  it("plateau stops a trial whose metric stopped moving, per trial, after the grace period", () => {
    const s = createStopper(plateau({ metric: "loss", std: 0.01, numResults: 3, gracePeriod: 4 }), clockAt({ now: 0 }));
    const flat = [1, 0.5, 0.5, 0.5, 0.5];
    const verdicts = flat.map((loss) => s.onResult("a", { loss }));
    assert.deepEqual(verdicts.map((v) => v !== undefined), [false, false, false, true, true]);
    assert.equal(s.onResult("b", { loss: 0.5 }), undefined, "another trial has its own history");
    const moving = createStopper(plateau({ metric: "loss", numResults: 3, gracePeriod: 1 }), clockAt({ now: 0 }));
    assert.ok([1, 0.8, 0.6, 0.4, 0.2].every((loss) => moving.onResult("a", { loss }) === undefined));
  });

  it("plateau with a threshold waits until the metric is beyond it", () => {
    const s = createStopper(plateau({ metric: "acc", numResults: 2, gracePeriod: 2, metricThreshold: 0.9, mode: "max" }), clockAt({ now: 0 }));
    assert.equal(s.onResult("a", { acc: 0.5 }), undefined);
    assert.equal(s.onResult("a", { acc: 0.5 }), undefined);
    s.onResult("a", { acc: 0.95 });
    assert.ok(s.onResult("a", { acc: 0.95 }));
  });

  it("time budgets: the shortest trial timeout wins, the experiment budget uses the clock", () => {
    const now = { now: 0 };
    const s = createStopper([trialTimeout(10), trialTimeout(5), experimentTimeout(60)], clockAt(now), 100);
    assert.equal(s.trialTimeoutS, 5);
    assert.equal(s.experimentCheck(0), undefined);
    now.now = 59_999;
    assert.equal(s.experimentCheck(0), undefined);
    now.now = 60_000;
    assert.match(s.experimentCheck(0)!, /60s used up/);
    const budgetOnly = createStopper(undefined, clockAt(now), 30);
    assert.match(budgetOnly.experimentCheck(0)!, /30s/);
    assert.equal(createStopper(undefined, clockAt(now)).experimentCheck(0), undefined);
  });
});
