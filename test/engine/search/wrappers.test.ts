import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Result, SearchContext, Searcher, Suggestion } from "../../../src/engine/interfaces.ts";
import * as d from "../../../src/engine/space/domains.ts";
import { BohbSearcher, ConcurrencyLimiter, createSearcher, limitConcurrency, randomSearch, repeat, Repeater, SearchSpecError } from "../../../src/engine/search/index.ts";
import { context } from "./harness.ts";

/** Records what the wrapped searcher hears. */
class Spy implements Searcher {
  completed: [string, Result | undefined, boolean][] = [];
  private n = 0;
  setup(_ctx: SearchContext): void {}
  suggest(_id: string): Suggestion { this.n += 1; return { x: this.n }; }
  onTrialResult(): void {}
  onTrialComplete(id: string, result: Result | undefined, errored: boolean): void { this.completed.push([id, result, errored]); }
  total(): number | undefined { return undefined; }
  save(): unknown { return { n: this.n }; }
  restore(state: unknown): void { this.n = (state as { n: number }).n; }
}

const space = { x: d.uniform(0, 1) };

void describe("ConcurrencyLimiter", () => {
  void it("waits at maxConcurrent live trials and resumes when one finishes", () => {
    const s = new ConcurrencyLimiter(new Spy(), { maxConcurrent: 2 });
    s.setup(context(space));
    assert.equal(typeof s.suggest("a"), "object");
    assert.equal(typeof s.suggest("b"), "object");
    assert.equal(s.suggest("c"), "wait");
    s.onTrialComplete("a", { loss: 1 }, false);
    assert.equal(typeof s.suggest("c"), "object");
  });

  void it("in batch mode tells the wrapped searcher only when the whole batch has finished", () => {
    const spy = new Spy();
    const s = new ConcurrencyLimiter(spy, { maxConcurrent: 2, batch: true });
    s.setup(context(space));
    s.suggest("a");
    s.suggest("b");
    s.onTrialComplete("a", { loss: 1 }, false);
    assert.deepEqual(spy.completed, []);
    assert.equal(s.suggest("c"), "wait");
    s.onTrialComplete("b", undefined, true);
    assert.deepEqual(spy.completed.map((c) => c[0]), ["a", "b"]);
    assert.equal(typeof s.suggest("c"), "object");
  });

  void it("rejects a maxConcurrent below 1 and a missing wrapped searcher, naming the option", () => {
    assert.throws(() => createSearcher(limitConcurrency(randomSearch(), { maxConcurrent: 0 })), /maxConcurrent/);
    assert.throws(() => createSearcher({ kind: "concurrency_limiter", maxConcurrent: 2 }), SearchSpecError);
  });
});

void describe("Repeater", () => {
  void it("runs each config `repeat` times with __trial_index__ and reports the mean of the finished ones", () => {
    const spy = new Spy();
    const s = new Repeater(spy, { repeat: 3 });
    s.setup(context(space, { samples: 6 }));
    const out = ["a", "b", "c", "d"].map((id) => s.suggest(id));
    assert.deepEqual(out.slice(0, 3), [{ x: 1, __trial_index__: 0 }, { x: 1, __trial_index__: 1 }, { x: 1, __trial_index__: 2 }]);
    assert.deepEqual(out[3], { x: 2, __trial_index__: 0 });
    s.onTrialComplete("a", { loss: 1 }, false);
    s.onTrialResult("b", { loss: 5 });
    s.onTrialComplete("b", { other: 0 }, false);
    assert.deepEqual(spy.completed, []);
    s.onTrialComplete("c", undefined, true);
    assert.deepEqual(spy.completed, [["a", { loss: 3 }, false]]);
  });

  void it("passes a group whose trials all failed on as an error, and stops after samples", () => {
    const spy = new Spy();
    const s = new Repeater(spy, { repeat: 2, setIndex: false });
    s.setup(context(space, { samples: 2 }));
    assert.deepEqual(s.suggest("a"), { x: 1 });
    s.suggest("b");
    assert.equal(s.suggest("c"), "done");
    s.onTrialComplete("a", undefined, true);
    s.onTrialComplete("b", undefined, true);
    assert.deepEqual(spy.completed, [["a", undefined, true]]);
    assert.throws(() => createSearcher(repeat(randomSearch(), { repeat: 0 })), /repeat/);
  });
});

void describe("BOHB searcher", () => {
  void it("models the largest budget with enough trials (results carry training_iteration as the budget)", () => {
    const s = new BohbSearcher({ randomFraction: 0, minPointsInModel: 2 });
    s.setup(context({ x: d.uniform(0, 1) }, { samples: 40 }));
    // Budget 1: low x is good. Budget 9: high x is good (only enough trials there late).
    for (let i = 0; i < 20; i++) {
      const c = s.suggest(`t${i}`) as { x: number };
      s.onTrialResult(`t${i}`, { loss: c.x, training_iteration: 1 });
      if (i < 6) s.onTrialResult(`t${i}`, { loss: 1 - c.x, training_iteration: 9 });
      s.onTrialComplete(`t${i}`, undefined, false);
    }
    const next = Array.from({ length: 10 }, (_, i) => (s.suggest(`n${i}`) as { x: number }).x);
    const mean = next.reduce((a, b) => a + b, 0) / next.length;
    assert.ok(mean > 0.5, `suggestions follow budget 9's model (mean x ${mean})`);
  });
});
