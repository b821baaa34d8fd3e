import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { SearchContext, Searcher, Suggestion } from "../../../src/engine/interfaces.ts";
import * as d from "../../../src/engine/space/domains.ts";
import { BasicVariantSearcher } from "../../../src/engine/search/basic-variant.ts";
import { createSearcher, gridSearch, randomSearch, SearchSpecError } from "../../../src/engine/search/index.ts";

const space: d.Space = { g: d.grid(["a", "b"]), lr: d.loguniform(1e-4, 1e-1), n: d.randint(0, 10), dep: d.sampleFrom(({ config }) => `${config.g as string}-x`) };
const ctx = (over: Partial<SearchContext> = {}): SearchContext => ({
  space, metric: "loss", mode: "min", samples: 3, seed: 5, clock: { now: () => 0 }, ...over,
});
const drain = (s: Searcher, limit = 1000): Suggestion[] => {
  const out: Suggestion[] = [];
  for (let i = 0; i < limit; i++) {
    const next = s.suggest(`t${i}`);
    out.push(next);
    if (next === "done") break;
  }
  return out;
};

void describe("basic_variant searcher (random and grid search)", () => {
  void it("suggests grid × samples configs, then done, and reports that total", () => {
    const s = createSearcher(gridSearch());
    s.setup(ctx());
    assert.equal(s.total(), 6);
    const out = drain(s);
    assert.equal(out.length, 7);
    assert.equal(out.at(-1), "done");
    assert.equal(s.suggest("again"), "done");
  });

  void it("is deterministic under the context seed, and the spec seed wins over it", () => {
    const run = (spec: ReturnType<typeof randomSearch>, seed: number): Suggestion[] => {
      const s = createSearcher(spec);
      s.setup(ctx({ seed }));
      return drain(s);
    };
    assert.deepEqual(run(randomSearch(), 1), run(randomSearch(), 1));
    assert.notDeepEqual(run(randomSearch(), 1), run(randomSearch(), 2));
    assert.deepEqual(run(randomSearch({ seed: 9 }), 1), run(randomSearch({ seed: 9 }), 2));
  });

  void it("save/restore (through JSON) resumes with exactly the same next suggestion", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (cut, seed, restoreFirst) => {
      const reference = new BasicVariantSearcher();
      reference.setup(ctx({ seed }));
      const whole = drain(reference);

      const first = new BasicVariantSearcher();
      first.setup(ctx({ seed }));
      for (let i = 0; i < cut; i++) first.suggest(`t${i}`);
      const saved: unknown = JSON.parse(JSON.stringify(first.save()));

      const resumed = new BasicVariantSearcher();
      // The runner may restore before or after setup.
      if (restoreFirst) resumed.restore(saved);
      resumed.setup(ctx({ seed }));
      if (!restoreFirst) resumed.restore(saved);
      assert.deepEqual(drain(resumed), whole.slice(Math.min(cut, whole.length - 1)));
    }));
  });

  void it("rejects a state it did not save", () => {
    const s = new BasicVariantSearcher();
    s.setup(ctx());
    assert.throws(() => s.restore({ version: 2 }), /basic_variant searcher state/);
  });

  void it("runs points_to_evaluate first and samples the keys they leave out", () => {
    const s = createSearcher(randomSearch({ pointsToEvaluate: [{ g: "b", lr: 0.01 }] }));
    s.setup(ctx({ samples: 2 }));
    const out = drain(s) as Record<string, unknown>[];
    assert.equal(s.total(), 3);
    assert.equal(out.length, 4);
    assert.equal(out[0]!.g, "b");
    assert.equal(out[0]!.lr, 0.01);
    assert.equal(out[0]!.dep, "b-x");
    assert.equal(typeof out[0]!.n, "number");
  });

  void it("spec constructors make basic_variant specs", () => {
    assert.deepEqual(randomSearch({ seed: 3 }), { kind: "basic_variant", seed: 3 });
    assert.deepEqual(gridSearch(), { kind: "basic_variant" });
  });

  void it("no search spec means random/grid search", () => {
    assert.ok(createSearcher(undefined) instanceof BasicVariantSearcher);
  });

  void it("an unknown search kind fails with the known kinds and a suggestion", () => {
    assert.throws(() => createSearcher({ kind: "basic_varaint" }), (e: unknown) =>
      e instanceof SearchSpecError && /unknown kind "basic_varaint" \(did you mean "basic_variant"\?\); known kinds: basic_variant/.test(e.message));
  });
});
