import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DYNAMIC } from "../../src/engine/space/diagnostics.ts";
import * as api from "../../src/engine/index.ts";
import * as schedulers from "../../src/engine/schedulers/specs.ts";
import { analyze } from "../../src/server/analyze.ts";
import { evaluateConfig, pathKey } from "../../src/server/evaluate.ts";

const value = (src: string): unknown => evaluateConfig(src).value;
const cfg = (body: string, prelude = ""): unknown =>
  value(`import { defineConfig, uniform, quniform, loguniform, qloguniform, randn, qrandn, randint, qrandint, lograndint, choice, grid, sampleFrom, maxIterations, trialTimeout, experimentTimeout, plateau, stopWhen, randomSearch, gridSearch, fifo } from "tunelab";\n${prelude}\nexport default defineConfig(${body});`);

describe("static evaluator", () => {
  it("reads literals, negative numbers and arithmetic", () => {
    assert.deepEqual(cfg(`{ a: -3, b: 2 ** 3 - 1, c: 1e-3 * 10, d: "x" + 1, e: \`plain\`, f: true, g: null, h: (7 % 4) / 2, i: -(-2), j: 0x10 }`),
      { a: -3, b: 7, c: 0.01, d: "x1", e: "plain", f: true, g: null, h: 1.5, i: 2, j: 16 });
  });

  it("follows const references, property access and spreads", () => {
    const v = cfg(`{ ...BASE, lr: LR, n: BASE.samples * 2, list: [...L, 4], name: \`exp-\${N}\` }`,
      `const LR = 0.1; const N = 3; const BASE = { samples: N, seed: 1 }; const L = [1, 2, 3];`);
    assert.deepEqual(v, { samples: 3, seed: 1, lr: 0.1, n: 6, list: [1, 2, 3, 4], name: "exp-3" });
  });

  it("finds `export default config` and `export { config as default }`", () => {
    assert.deepEqual(value(`const config = { samples: 2 }; export default config;`), { samples: 2 });
    assert.deepEqual(value(`const c = { samples: 2 } satisfies object; export { c as default };`), { samples: 2 });
    assert.equal(value(`export const config = { samples: 2 };`), undefined);
  });

  it("mirrors every helper of the public API, defaults included", () => {
    const v = cfg(`{ space: { a: uniform(1, 2), b: quniform(0, 1, 0.1), c: loguniform(1e-3, 1), d: qloguniform(1, 100, 5), e: randn(), f: qrandn(0, 1, 0.5), g: randint(0, 9), h: qrandint(0, 8), i: lograndint(1, 100), j: choice([1, "x"]), k: grid([1, 2]) }, stop: [maxIterations(5), trialTimeout(60), experimentTimeout(600), plateau({ metric: "loss", mode: "min" })], search: randomSearch({ seed: 3 }), scheduler: fifo() }`);
    const expected = {
      space: { a: api.uniform(1, 2), b: api.quniform(0, 1, 0.1), c: api.loguniform(1e-3, 1), d: api.qloguniform(1, 100, 5), e: api.randn(), f: api.qrandn(0, 1, 0.5), g: api.randint(0, 9), h: api.qrandint(0, 8), i: api.lograndint(1, 100), j: api.choice([1, "x"]), k: api.grid([1, 2]) },
      stop: [api.maxIterations(5), api.trialTimeout(60), api.experimentTimeout(600), api.plateau({ metric: "loss", mode: "min" })],
      search: api.randomSearch({ seed: 3 }),
      scheduler: api.fifo(),
    };
    assert.deepEqual(v, JSON.parse(JSON.stringify(expected)));
    assert.deepEqual(cfg(`{ search: gridSearch() }`), { search: api.gridSearch() });
    const sched = value(`import { asha, pbt, resourceChanging, hyperbandForBohb } from "tunelab";\nexport default { a: asha({ maxT: 10, gracePeriod: 1 }), b: pbt({ perturbationInterval: 2 }), c: resourceChanging(asha(), { metric: "m" }), d: resourceChanging(), e: hyperbandForBohb() };`);
    assert.deepEqual(sched, JSON.parse(JSON.stringify({
      a: schedulers.asha({ maxT: 10, gracePeriod: 1 }), b: schedulers.pbt({ perturbationInterval: 2 }),
      c: schedulers.resourceChanging(schedulers.asha(), { metric: "m" }), d: schedulers.resourceChanging(), e: schedulers.hyperbandForBohb(),
    })));
  });

  it("reads pb2({...}) as the runner does, and places a bad bound's diagnostic on it", () => {
    const src = `import { defineConfig, loguniform, uniform, pb2 } from "tunelab";
export default defineConfig({
  trainable: { command: ["python3", "train.py"] },
  space: { lr: loguniform(1e-4, 1e-1), momentum: uniform(0.8, 0.99) },
  metric: "acc",
  mode: "max",
  scheduler: pb2({ perturbationInterval: 5, hyperparamBounds: { lr: loguniform(1e-4, 1e-1), momentum: [0.99, 0.8] } }),
});`;
    const expected = schedulers.pb2({ perturbationInterval: 5, hyperparamBounds: { lr: api.loguniform(1e-4, 1e-1), momentum: [0.99, 0.8] } });
    assert.deepEqual((value(src) as { scheduler: unknown }).scheduler, JSON.parse(JSON.stringify(expected)));
    const { evaluation, problems } = analyze(src, undefined, { cpus: 2 });
    assert.deepEqual(problems.map((p) => `${p.diagnostic.code}@${p.diagnostic.path.join(".")}`), ["pb2-bound-order@scheduler.hyperparamBounds.momentum"]);
    const at = problems[0]?.span as { start: number; end: number };
    assert.equal(evaluation.source.text.slice(at.start, at.end), "[0.99, 0.8]");
    assert.deepEqual(analyze(src.replace("[0.99, 0.8]", "[0.8, 0.99]"), undefined, { cpus: 2 }).problems, []);
  });

  it("evaluates numbers exactly as JavaScript does (property)", () => {
    fc.assert(fc.property(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), fc.integer({ min: 1, max: 50 }), (x, k) => {
      const src = `${x < 0 || Object.is(x, -0) ? `-${-x}` : String(x)} * ${k} + 1`;
      assert.deepEqual(value(`export default { v: ${src} };`), { v: x * k + 1 });
    }));
  });

  it("turns what it cannot know into DYNAMIC, never a guess", () => {
    const v = cfg(`{ a: imported, b: compute(), c: process.env.X, d: () => 1, e: letVar, f: cond ? 1 : 2, g: \`x\${imported}\`, h: sampleFrom(({ config }) => config.a), i: stopWhen(() => true), j: new Date(), k: tpe({ metric: "x" }), m() { return 1; } }`,
      `import { imported } from "./elsewhere"; let letVar = 1; function compute() { return 1; }`);
    assert.deepEqual(v, {
      a: DYNAMIC, b: DYNAMIC, c: DYNAMIC, d: DYNAMIC, e: DYNAMIC, f: DYNAMIC, g: DYNAMIC,
      h: { __tunelab: "sample_from", fn: DYNAMIC }, i: { __stopper: "function", fn: DYNAMIC }, j: DYNAMIC, k: DYNAMIC, m: DYNAMIC,
    });
  });

  it("treats an object with an unknown spread as unknown as a whole", () => {
    assert.deepEqual(cfg(`{ space: { ...shared, lr: 1 } }`, `import { shared } from "./shared";`), { space: DYNAMIC });
    assert.deepEqual(cfg(`{ list: [...xs, 1] }`, `import { xs } from "./xs";`), { list: DYNAMIC });
  });

  it("guards against const cycles", () => {
    assert.deepEqual(value(`const a = { ...b }; const b = { ...a, x: 1 }; export default { a };`), { a: DYNAMIC });
    assert.deepEqual(value(`const a = a + 1; export default { a };`), { a: DYNAMIC });
  });

  it("only treats tunelab imports (or unbound names) as helpers", () => {
    assert.deepEqual(value(`import { uniform as u } from "tunelab"; export default { x: u(0, 1) };`), { x: api.uniform(0, 1) });
    assert.deepEqual(value(`import * as tl from "tunelab"; export default tl.defineConfig({ x: tl.choice([1]) });`), { x: api.choice([1]) });
    assert.deepEqual(value(`import { uniform } from "./mine"; export default { x: uniform(0, 1) };`), { x: DYNAMIC });
    assert.deepEqual(value(`function uniform(a, b) { return a; } export default { x: uniform(0, 1) };`), { x: DYNAMIC });
    assert.deepEqual(value(`export default { x: uniform(...[0, 1]) };`), { x: DYNAMIC });
  });

  it("maps paths to the key and value ranges they came from", () => {
    const src = `import { uniform } from "tunelab";\nconst LR = uniform(0.1, 0.01);\nexport default { space: { lr: LR, m: uniform(0, 1) } };`;
    const ev = evaluateConfig(src);
    const at = (path: (string | number)[], part: "key" | "value"): string | undefined => {
      const s = ev.spans.get(pathKey(path))?.[part];
      return s && src.slice(s.start, s.end);
    };
    assert.equal(at(["space", "lr"], "key"), "lr");
    assert.equal(at(["space", "lr"], "value"), "uniform(0.1, 0.01)", "a const leads to its definition");
    assert.equal(at(["space", "lr", "upper"], "value"), "0.01");
    assert.equal(at(["space", "m", "lower"], "value"), "0");
    assert.deepEqual(ev.calls.map((c) => [c.name, c.path.join(".")]), [["uniform", "space.lr"], ["uniform", "space.m"]]);
  });

  it("survives half-typed source", () => {
    assert.deepEqual(value(`export default { space: { lr: }, samples: 3`), { space: { lr: DYNAMIC }, samples: 3 });
  });
});
