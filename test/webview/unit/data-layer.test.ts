import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { downsample, lttbIndices } from "../../../src/shared/dashboard-lttb.ts";
import { filterTrials, parseFilter, resortChanged, sortTrials, topTrials } from "../../../src/shared/dashboard-table.ts";
import { DashboardStore, seriesData } from "../../../src/shared/dashboard-store.ts";
import { DashboardModel } from "../../../src/extension/data/dashboard-model.ts";
import type { TrialSummary } from "../../../src/shared/dashboard-types.ts";
import { synthetic, syntheticMeta } from "../harness/synthetic.ts";

const trial = (id: string, index: number, extra: Partial<TrialSummary> = {}): TrialSummary =>
  ({ id, index, status: "TERMINATED", config: {}, iteration: 1, last: {}, earlyStopped: false, lineage: [], ...extra });

describe("LTTB downsampling", () => {
  it("keeps the first and last point and returns exactly the threshold", () => {
    fc.assert(fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 3, maxLength: 400 }), fc.integer({ min: 3, max: 50 }), (ys, k) => {
      const xs = ys.map((_, i) => i);
      const idx = lttbIndices(xs, ys, k);
      assert.equal(idx.length, Math.min(k, ys.length));
      assert.equal(idx[0], 0);
      assert.equal(idx[idx.length - 1], ys.length - 1);
      for (let i = 1; i < idx.length; i++) assert.ok(idx[i]! > idx[i - 1]!, "indices strictly increase");
    }));
  });

  it("keeps a spike that a stride would miss", () => {
    const ys = Array.from({ length: 1000 }, (_, i) => (i === 503 ? 100 : 0));
    const d = downsample(ys.map((_, i) => i), ys, 20);
    assert.ok(d.y.includes(100));
  });

  it("drops missing values before downsampling", () => {
    const d = downsample([1, 2, 3, 4], [1, null, Number.NaN, 4], 10);
    assert.deepEqual(d, { x: [1, 4], y: [1, 4] });
  });
});

describe("trial table", () => {
  const trials = [
    trial("a", 0, { best: 0.5, config: { lr: 0.1, opt: "adam" } }),
    trial("b", 1, { best: 0.2, config: { lr: 0.001, opt: "sgd" }, status: "ERROR" }),
    trial("c", 2, { config: { lr: 0.01, opt: "adam" } }),
    trial("d", 3, { best: 0.9, config: { lr: 0.05, opt: "sgd" } }),
  ];

  it("sorts numerically with missing values last in both directions", () => {
    assert.deepEqual(sortTrials(trials, "best").map((t) => t.id), ["b", "a", "d", "c"]);
    assert.deepEqual(sortTrials(trials, "best", true).map((t) => t.id), ["d", "a", "b", "c"]);
    assert.deepEqual(sortTrials(trials, "c:lr").map((t) => t.id), ["b", "c", "d", "a"]);
    assert.deepEqual(sortTrials(trials, "c:opt").map((t) => t.id), ["a", "c", "b", "d"]);
  });

  it("filters by free text and by key comparisons", () => {
    assert.deepEqual(filterTrials(trials, "sgd").map((t) => t.id), ["b", "d"]);
    assert.deepEqual(filterTrials(trials, "lr<0.02").map((t) => t.id), ["b", "c"]);
    assert.deepEqual(filterTrials(trials, "status=error").map((t) => t.id), ["b"]);
    assert.deepEqual(filterTrials(trials, "opt=adam best>=0.5").map((t) => t.id), ["a"]);
  });

  it("re-sorting only the changed trials gives what a full sort of the updated list gives", () => {
    const value = fc.option(fc.oneof(fc.double({ noNaN: true, min: -5, max: 5 }), fc.constantFrom(0.5, 1)), { nil: undefined });
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 60 }), fc.array(fc.tuple(fc.nat(80), value), { maxLength: 20 }), fc.boolean(), fc.boolean(), (bests, updates, desc, filtered) => {
      const before = bests.map((b, i) => trial(`t${i}`, i, b === undefined ? {} : { best: b }));
      const after = before.slice();
      const changed = new Map<string, TrialSummary>();
      for (const [i, b] of updates) {
        // An index past the end is a new trial.
        const t = trial(`t${i}`, i, b === undefined ? {} : { best: b });
        const at = after.findIndex((x) => x.id === t.id);
        if (at < 0) after.push(t);
        else after[at] = t;
        changed.set(t.id, t);
      }
      const query = filtered ? "best<1" : "";
      const rows = sortTrials(filterTrials(before, query), "best", desc);
      resortChanged(rows, [...changed.values()], "best", desc, query ? parseFilter(query) : undefined);
      assert.deepEqual(rows.map((t) => t.id), sortTrials(filterTrials(after, query), "best", desc).map((t) => t.id));
    }));
  });

  it("ranks the top k by mode, like a full sort would", () => {
    fc.assert(fc.property(fc.array(fc.option(fc.double({ noNaN: true, min: -100, max: 100 }), { nil: undefined }), { maxLength: 60 }), fc.integer({ min: 1, max: 10 }), fc.boolean(), (bests, k, max) => {
      const ts = bests.map((b, i) => trial(`t${i}`, i, b === undefined ? {} : { best: b }));
      const expected = sortTrials(ts.filter((t) => t.best !== undefined), "best", max).slice(0, k).map((t) => t.id);
      assert.deepEqual(topTrials(ts, "m", max ? "max" : "min", k).map((t) => t.id), expected);
    }));
  });
});

describe("snapshot and deltas", () => {
  it("a store fed a snapshot then deltas equals a store fed one later snapshot", () => {
    const opts = { trials: 25, points: 10, seed: 3, running: true };
    const run = synthetic(opts);
    const live = new DashboardModel(syntheticMeta(opts));
    live.apply(run.events.slice(0, 60));
    const store = new DashboardStore();
    store.load(live.snapshot());
    let rest = run.events.slice(60);
    while (rest.length) {
      live.apply(rest.slice(0, 37));
      rest = rest.slice(37);
      const delta = live.takeDelta();
      if (delta) assert.deepEqual(store.apply(delta).gaps, []);
    }
    for (let i = 0; i < 5; i++) {
      live.apply(run.more(100));
      store.apply(live.takeDelta()!);
    }
    const fresh = new DashboardStore();
    fresh.load(live.snapshot());
    assert.deepEqual(store.trials, fresh.trials);
    const plain = (st: DashboardStore) => [...st.series].map(([id, ser]) => [id, seriesData(ser)]);
    assert.deepEqual(plain(store), plain(fresh));
    assert.deepEqual(store.metrics, fresh.metrics);
  });

  it("a delta holds only what changed: 100 new results touch at most 100 trials, one point each", () => {
    const opts = { trials: 500, points: 5, running: true };
    const run = synthetic(opts);
    const model = new DashboardModel(syntheticMeta(opts));
    model.apply(run.events);
    model.snapshot();
    assert.equal(model.takeDelta(), undefined);
    model.apply(run.more(100));
    const delta = model.takeDelta()!;
    assert.equal(delta.trials.length, 100);
    assert.equal(delta.series.length, 100);
    for (const c of delta.series) {
      assert.equal(c.iteration.length, 1);
      assert.equal(c.from, 5);
    }
    assert.equal(delta.info, undefined);
  });

  it("records PBT lineage with donor, iteration and the config before the step", () => {
    const opts = { trials: 12, points: 6, pbt: true };
    const model = new DashboardModel(syntheticMeta(opts));
    model.apply(synthetic(opts).events);
    const withSteps = model.snapshot().trials.filter((t) => t.lineage.length > 0);
    assert.ok(withSteps.length >= 2);
    const step = withSteps[0]!.lineage[0]!;
    assert.ok(step.donorId);
    assert.ok((step.config.lr as number) > (step.previous!.lr as number));
  });

  it("marks trials a scheduler stopped early", () => {
    const opts = { trials: 40, points: 20 };
    const model = new DashboardModel(syntheticMeta(opts));
    model.apply(synthetic(opts).events);
    const s = model.snapshot();
    assert.ok(s.trials.some((t) => t.earlyStopped) && s.trials.some((t) => !t.earlyStopped));
    assert.equal(s.info.state, "completed");
  });
});
