/**
 * One suite over every searcher kind in the registry (Optuna's habit): each
 * kind must stay in the space, be deterministic under a seed, resume exactly
 * from save() through JSON, survive failed trials and results without the
 * metric, optimise in both modes, and say "done" after `samples` suggestions.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { SearchSpec } from "../../../src/engine/config.ts";
import type { Searcher, Suggestion } from "../../../src/engine/interfaces.ts";
import * as d from "../../../src/engine/space/domains.ts";
import {
  bayesopt, bohb, createSearcher, limitConcurrency, randomSearch, repeat, searcherKinds, SearcherOptionError, tpe,
} from "../../../src/engine/search/index.ts";
import { assertInSpace, context, loop, richSpace, type Kind } from "./harness.ts";

const kinds: Kind[] = [
  { name: "basic_variant", spec: randomSearch() },
  { name: "tpe", spec: tpe({ nStartupTrials: 5 }) },
  { name: "tpe constant liar", spec: tpe({ nStartupTrials: 5, constantLiar: true }) },
  { name: "tpe optuna flavour", spec: tpe({ nStartupTrials: 5, flavor: "optuna" }) },
  { name: "tpe optuna flavour, multivariate", spec: tpe({ nStartupTrials: 5, flavor: "optuna", multivariate: true }) },
  { name: "bayesopt ei", spec: bayesopt({ randomSearchSteps: 5, utility: { kind: "ei", xi: 0.01 } }) },
  { name: "bohb", spec: bohb() },
  { name: "concurrency_limiter(tpe)", spec: limitConcurrency(tpe({ nStartupTrials: 5 }), { maxConcurrent: 1 }) },
  { name: "concurrency_limiter batch(bohb)", spec: limitConcurrency(bohb(), { maxConcurrent: 2, batch: true }) },
  { name: "repeater(tpe)", spec: repeat(tpe({ nStartupTrials: 5 }), { repeat: 2 }) },
];
const modelBased = new Set(["tpe", "bayesopt", "bohb"]);
const root = (spec: SearchSpec): string => (typeof spec.searcher === "object" ? root(spec.searcher as SearchSpec) : spec.kind);

const configs = (out: Suggestion[]): Record<string, unknown>[] => out.filter((s): s is Record<string, unknown> => typeof s === "object");

void describe("searcher conformance", () => {
  void it("covers every kind in the registry", () => {
    const covered = new Set(kinds.map((k) => k.spec.kind));
    assert.deepEqual(searcherKinds().filter((k) => !covered.has(k)), []);
  });

  for (const { name, spec } of kinds) {
    void describe(name, () => {
      const make = (over = {}): Searcher => {
        const s = createSearcher(spec);
        s.setup(context(richSpace, over));
        return s;
      };

      void it("suggests only configs inside the space (bounds, steps, integers, categories, constants, structure)", () => {
        const out = configs(loop(make({ samples: 40 })).step(200));
        assert.ok(out.length >= 20, `only ${out.length} configs`);
        for (const c of out) assertInSpace(richSpace, c);
      });

      void it("is deterministic under a seed", () => {
        const a = loop(make({ seed: 11 })).step(60);
        const b = loop(make({ seed: 11 })).step(60);
        const c = loop(make({ seed: 12 })).step(60);
        assert.deepEqual(a, b);
        assert.notDeepEqual(a, c);
      });

      void it("says done after `samples` suggestions (× grid size for basic_variant) and stays done", () => {
        const s = make({ samples: 12 });
        const out = loop(s).step(200);
        assert.equal(configs(out).length, spec.kind === "basic_variant" ? 24 : 12);
        assert.equal(s.total(), configs(out).length);
        assert.equal(out.at(-1), "done");
      });

      void it("resumes from save() through JSON with the same next suggestion, at any point", () => {
        fc.assert(fc.property(fc.integer({ min: 0, max: 45 }), fc.boolean(), (cut, restoreFirst) => {
          const original = loop(make());
          original.step(cut);
          const saved: unknown = JSON.parse(JSON.stringify(original.searcher.save()));
          const resumed = createSearcher(spec);
          if (restoreFirst) resumed.restore(saved);
          resumed.setup(context(richSpace));
          if (!restoreFirst) resumed.restore(saved);
          assert.deepEqual(resumed.suggest("next"), original.searcher.suggest("next"));
        }), { numRuns: 12, seed: 42 });
      });

      void it("keeps going when trials fail or finish without the metric", () => {
        const s = make({ samples: 20 });
        const expected = s.total() ?? 20;
        for (let i = 0; i < expected; i++) {
          const c = s.suggest(`t${i}`);
          if (c === "wait" || c === "done") break;
          if (i % 2 === 0) s.onTrialComplete(`t${i}`, undefined, true);
          else s.onTrialComplete(`t${i}`, { other: 1 }, false);
        }
        assert.equal(s.suggest("after"), "done");
      });

      if (modelBased.has(root(spec))) {
        void it("needs metric and mode, and says which is missing", () => {
          const s = createSearcher(spec);
          assert.throws(() => s.setup(context(richSpace, { metric: undefined })), (e: Error) => e instanceof SearcherOptionError && /metric/.test(e.message));
          assert.throws(() => createSearcher(spec).setup(context(richSpace, { mode: undefined })), /mode/);
        });

        for (const mode of ["min", "max"] as const) {
          void it(`beats random search's median on a 1-D quadratic (mode ${mode})`, () => {
            const space = { x: d.uniform(-10, 10) };
            const f = (x: number): number => (x - 3.3) ** 2;
            const perRepeat = spec.kind === "repeater" ? 2 : 1;
            const best = (searchSpec: SearchSpec, seed: number, samples: number): number => {
              const s = createSearcher(searchSpec);
              s.setup(context(space, { mode, seed, samples }));
              const l = loop(s, (c) => (mode === "min" ? f(c.x as number) : -f(c.x as number)));
              return Math.min(...configs(l.step(400)).map((c) => f(c.x as number)));
            };
            const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;
            const seeds = [1, 2, 3, 4, 5];
            // The repeater runs each config twice: 60 configs take 120 trials.
            const ours = median(seeds.map((seed) => best(spec, seed, 60 * perRepeat)));
            const random = median(seeds.map((seed) => best(randomSearch(), seed, 60)));
            assert.ok(ours < random, `median best ${ours} is not below random search's ${random}`);
          });
        }
      }
    });
  }
});
