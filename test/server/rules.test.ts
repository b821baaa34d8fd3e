import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DYNAMIC } from "../../src/engine/space/diagnostics.ts";
import { loguniform, quniform, uniform } from "../../src/engine/space/domains.ts";
import { validateExtra } from "../../src/engine/space/validate-extra.ts";
import { validateObjective } from "../../src/engine/space/validate-objective.ts";
import { validatePythonModule } from "../../src/engine/space/validate-python.ts";
import { validateScale } from "../../src/engine/space/validate-scale.ts";

const codes = (ds: { code: string; path: (string | number)[] }[]): string[] => ds.map((d) => `${d.code}@${d.path.join(".")}`);

describe("objective rule", () => {
  it("asks for metric and mode when a searcher learns from results, through wrappers too", () => {
    assert.deepEqual(codes(validateObjective({ search: { kind: "tpe" } })), ["objective-missing@search"]);
    assert.deepEqual(codes(validateObjective({ search: { kind: "concurrency_limiter", searcher: { kind: "bayesopt" } } })), ["objective-missing@search"]);
  });
  it("is satisfied by a top-level or the spec's own metric, and silent for random/grid search", () => {
    assert.deepEqual(validateObjective({ metric: "loss", mode: "min", search: { kind: "tpe" } }), []);
    assert.deepEqual(validateObjective({ search: { kind: "tpe", metric: "loss", mode: "min" } }), []);
    assert.deepEqual(validateObjective({ search: { kind: "repeater", searcher: { kind: "basic_variant" } } }), []);
    assert.deepEqual(validateObjective({ search: { kind: DYNAMIC } }), []);
    assert.deepEqual(validateObjective({ search: DYNAMIC }), []);
  });
});

describe("log-scale rule", () => {
  it("flags positive uniform ranges of three decades or more, nested ones included", () => {
    const ds = validateScale({ lr: uniform(1e-4, 1e-1), q: quniform(1, 5000, 1), deep: [{ x: uniform(1, 1000) }], ok: uniform(0.1, 0.9), zero: uniform(0, 1e4), log: loguniform(1e-5, 1) });
    assert.deepEqual(codes(ds), ["uniform-spans-decades@space.lr", "uniform-spans-decades@space.q", "uniform-spans-decades@space.deep.0.x"]);
    assert.equal(ds[0]?.data?.helper, "loguniform");
    assert.equal(ds[1]?.data?.suggestion, "qloguniform(1, 5000, 1)");
  });
  it("never flags a range under three decades (property)", () => {
    fc.assert(fc.property(fc.double({ min: 1e-9, max: 1e9, noNaN: true }), fc.double({ min: 1, max: 999.9, noNaN: true }), (lo, ratio) => {
      assert.deepEqual(validateScale({ x: uniform(lo, lo * ratio) }), []);
    }));
  });
});

describe("python module rule", () => {
  const files = new Set(["train.py", "pkg/__init__.py", "pkg", "src/model.py"]);
  const exists = (p: string): boolean => files.has(p);
  it("finds <module>.py or a package in the trainable's cwd", () => {
    assert.deepEqual(validatePythonModule({ trainable: { python: "train:fn" } }, exists), []);
    assert.deepEqual(validatePythonModule({ trainable: { python: "pkg.sub:fn" } }, exists), []);
    assert.deepEqual(validatePythonModule({ trainable: { python: "model:fn", cwd: "src" } }, exists), []);
  });
  it("warns, naming the files it looked for, when the module is not there", () => {
    const [d] = validatePythonModule({ trainable: { python: "trian:fn" } }, exists);
    assert.equal(d?.severity, "warning");
    assert.deepEqual(d?.path, ["trainable", "python"]);
    assert.match(d?.message ?? "", /trian\.py/);
  });
  it("says nothing without a file system or for command trainables", () => {
    assert.deepEqual(validatePythonModule({ trainable: { python: "x:fn" } }, undefined), []);
    assert.deepEqual(validatePythonModule({ trainable: { command: ["x"] } }, exists), []);
  });
  it("is part of validateExtra", () => {
    assert.deepEqual(codes(validateExtra({ trainable: { python: "nope:fn" }, space: { lr: uniform(1e-5, 1) }, search: { kind: "tpe" } }, { fileExists: exists })),
      ["objective-missing@search", "uniform-spans-decades@space.lr", "trainable-module-not-found@trainable.python"]);
  });
});
