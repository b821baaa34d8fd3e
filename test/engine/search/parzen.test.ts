import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRng } from "../../../src/engine/random.ts";
import * as d from "../../../src/engine/space/domains.ts";
import { decodeFloat, encodeFloat, normalCdf, normalQuantile, paramOf } from "../../../src/engine/search/params.ts";
import { defaultWeights, ParzenEstimator, type ParzenOptions } from "../../../src/engine/search/parzen.ts";
import { nBelow, splitByLoss } from "../../../src/engine/search/tpe.ts";

const opts: ParzenOptions = { priorWeight: 1, considerPrior: true, magicClip: true, endpoints: false, bandwidth: "neighbours" };

void describe("Parzen estimator (Optuna's TPE kernels)", () => {
  void it("has Optuna's neighbour bandwidths and magic clip (values from Optuna's own estimator)", () => {
    const e = new ParzenEstimator([paramOf(d.uniform(0, 2), "x", [])], [[0.1, 0.15, 0.7, 0.72, 0.9]], opts);
    const sigmas = Array.from((e as unknown as { dims: { sigmas: Float64Array }[] }).dims[0]?.sigmas ?? []);
    const expected = [0.2857142857142857, 0.55, 0.55, 0.2857142857142857, 0.2857142857142857, 2];
    sigmas.forEach((s, i) => assert.ok(Math.abs(s - (expected[i] as number)) < 1e-12, `sigma ${i}: ${s}`));
  });

  void it("clips widths at range/min(clipCap, 1 + clipCount) and, unweighted, is the plain mixture", () => {
    // Two near-equal points in [0, 1]: their neighbour widths are below the floor 1/min(50, 200) = 0.02.
    const e = new ParzenEstimator([paramOf(d.uniform(0, 1), "x", [])], [[0.5, 0.5001]], { ...opts, clipCount: 199, clipCap: 50 });
    const sigmas = Array.from((e as unknown as { dims: { sigmas: Float64Array }[] }).dims[0]?.sigmas ?? []);
    assert.deepEqual(sigmas, [0.02, 0.02, 1]);
    // Equal weights 1/3; the kernels' mass on [0, 1] is 1 to 1e-15, the prior N(0.5, 1)'s is Φ(0.5) − Φ(−0.5).
    const phi = (z: number, s: number): number => Math.exp(-0.5 * z * z) / (s * Math.sqrt(2 * Math.PI));
    const at = (x: number): number => (phi((x - 0.5) / 0.02, 0.02) + phi((x - 0.5001) / 0.02, 0.02) + phi(x - 0.5, 1) / (normalCdf(0.5) - normalCdf(-0.5))) / 3;
    const got = Array.from(e.logPdf([[0.5], [0.53], [0.9]]));
    [0.5, 0.53, 0.9].forEach((x, i) => assert.ok(Math.abs((got[i] as number) - Math.log(at(x))) < 1e-9, `log pdf at ${x}: ${got[i]} vs ${Math.log(at(x))}`));
    // Without a count the floor is Optuna's: range / (1 + kernels) = 1/4.
    const optunaClip = new ParzenEstimator([paramOf(d.uniform(0, 1), "x", [])], [[0.5, 0.5001]], opts);
    assert.equal((optunaClip as unknown as { dims: { sigmas: Float64Array }[] }).dims[0]?.sigmas[0], 0.25);
  });

  void it("is a density: integrates to 1 over the bounds", () => {
    const e = new ParzenEstimator([paramOf(d.uniform(-3, 5), "x", [])], [[-2.9, 0.5, 0.6, 4.99]], opts);
    const n = 20000;
    const xs = Array.from({ length: n }, (_, i) => [-3 + (8 * (i + 0.5)) / n]);
    const integral = Array.from(e.logPdf(xs)).reduce((s, l) => s + Math.exp(l) * (8 / n), 0);
    assert.ok(Math.abs(integral - 1) < 1e-3, `integral ${integral}`);
  });

  void it("bandwidth-weighted, it ranks points as Optuna's TPE does and is still a density", () => {
    const e = new ParzenEstimator([paramOf(d.uniform(0, 2), "x", [])], [[0.1, 0.15, 0.7, 0.72, 0.9]], { ...opts, bandwidthWeighted: true });
    const xs = [0.05, 0.4, 0.71, 1.2, 1.9];
    // Optuna 3.1's _ParzenEstimator.log_pdf at xs for the same observations (its logpdf omits −log σ).
    const optuna = [-0.8966727364636208, -0.8221760700951348, -0.8149321875051702, -1.221963720354145, -1.8037005946644535];
    const diffs = Array.from(e.logPdf(xs.map((x) => [x])), (l, i) => l - (optuna[i] as number));
    assert.ok(Math.max(...diffs) - Math.min(...diffs) < 1e-6, `offsets ${diffs.join(", ")}`);
    const n = 20000;
    const integral = Array.from(e.logPdf(Array.from({ length: n }, (_, i) => [(2 * (i + 0.5)) / n]))).reduce((s, l) => s + Math.exp(l) * (2 / n), 0);
    assert.ok(Math.abs(integral - 1) < 1e-3, `integral ${integral}`);
  });

  void it("split and both estimators score candidates as Optuna's TPE does, age ramp included (60 trials)", () => {
    // 60 trials from createRng(11), loss (x−0.3)² + (y−0.7)²: 6 good trials and 54 others, so the
    // rest's weights ramp. Optuna 3.1's log l − log g for x at the candidates, from its own
    // _split_observation_pairs and _ParzenEstimator on the same trials.
    const optuna = [1.833540638214664, 2.0558258655694788, 1.9685086407671097, 2.1783683351548317, 1.500322443665374, 0.8188787201576473, 1.020315351849992];
    const candidates = [0.05, 0.2, 0.3, 0.45, 0.6, 0.8, 0.95].map((x) => [x]);
    const rng = createRng(11);
    const trials = Array.from({ length: 60 }, () => {
      const [x, y] = [rng.next(), rng.next()];
      return { x, loss: (x - 0.3) ** 2 + (y - 0.7) ** 2 };
    });
    const [good, rest] = splitByLoss(trials, 0.1);
    assert.equal(good.length, 6);
    const p = [paramOf(d.uniform(0, 1), "x", [])];
    const weighted = { ...opts, bandwidthWeighted: true };
    const l = new ParzenEstimator(p, [good.map((t) => t.x)], weighted).logPdf(candidates);
    const g = new ParzenEstimator(p, [rest.map((t) => t.x)], weighted).logPdf(candidates);
    const offsets = optuna.map((o, i) => (l[i] as number) - (g[i] as number) - o);
    assert.ok(Math.max(...offsets) - Math.min(...offsets) < 1e-5, `offsets ${offsets.join(", ")}`);
  });

  void it("splits at the nBelow lowest losses, ties to the older trial, both sides in trial order", () => {
    const items = [5, 1, 3, 1, 9, 2, 1, 7, 4, 6, 8, 0.5].map((loss, i) => ({ loss, i }));
    const [good, rest] = splitByLoss(items, 0.25); // ceil(0.25·12) = 3
    assert.deepEqual(good.map((s) => s.i), [1, 3, 11]);
    assert.deepEqual(rest.map((s) => s.i), [0, 2, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(splitByLoss([], 0.1), [[], []]);
  });

  void it("gives stepped parameters probability masses that sum to 1", () => {
    const p = paramOf(d.randint(0, 10), "n", []);
    const e = new ParzenEstimator([p], [[2, 3, 3, 9]], opts);
    const total = Array.from(e.logPdf(Array.from({ length: 10 }, (_, i) => [i]))).reduce((s, l) => s + Math.exp(l), 0);
    assert.ok(Math.abs(total - 1) < 1e-6, `mass ${total}`);
  });

  void it("samples follow its density (histogram against integrated pdf)", () => {
    const e = new ParzenEstimator([paramOf(d.uniform(0, 1), "x", [])], [[0.2, 0.25, 0.8]], opts);
    const draws = e.sample(createRng(7), 40000).map((r) => r[0] as number);
    for (const [lo, hi] of [[0, 0.1], [0.1, 0.3], [0.3, 0.7], [0.7, 1]] as const) {
      const share = draws.filter((x) => x >= lo && x < hi).length / draws.length;
      const grid = Array.from({ length: 2000 }, (_, i) => [lo + ((hi - lo) * (i + 0.5)) / 2000]);
      const mass = Array.from(e.logPdf(grid)).reduce((s, l) => s + Math.exp(l) * ((hi - lo) / 2000), 0);
      assert.ok(Math.abs(share - mass) < 0.01, `[${lo}, ${hi}): sampled ${share}, density ${mass}`);
    }
  });

  void it("categorical kernels put 1 + w/m on the observed category, m kernels (Optuna's masses, summing to 1)", () => {
    const e = new ParzenEstimator([paramOf(d.choice(["a", "b", "c"]), "c", [])], [[0, 0, 2]], opts);
    const p = Array.from(e.logPdf([[0], [1], [2]])).map(Math.exp);
    assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.ok((p[0] as number) > (p[2] as number) && (p[2] as number) > (p[1] as number));
    // Optuna 3.1's _ParzenEstimator.log_pdf for the same observations.
    const optuna = [-0.7419373447293773, -1.6582280766035324, -1.0986122886681098];
    p.forEach((v, i) => assert.ok(Math.abs(Math.log(v) - (optuna[i] as number)) < 1e-9, `category ${i}: ${Math.log(v)}`));
  });

  void it("weights are flat for 25 newest and a ramp before; gamma is Optuna's min(ceil(0.1 n), 25)", () => {
    assert.deepEqual(defaultWeights(3), [1, 1, 1]);
    const w = defaultWeights(30);
    assert.equal(w.length, 30);
    assert.ok(Math.abs((w[0] as number) - 1 / 30) < 1e-12 && w.slice(5).every((v) => v === 1));
    assert.deepEqual([nBelow(10, 0.1), nBelow(11, 0.1), nBelow(1000, 0.1)], [1, 2, 25]);
  });

  void it("encodes log, normal and integer domains on their internal scales and back", () => {
    const lr = paramOf(d.loguniform(1e-4, 1), "lr", []);
    assert.ok(Math.abs(decodeFloat(lr as never, encodeFloat(lr as never, 0.01)) - 0.01) < 1e-12);
    const z = paramOf(d.randn(2, 3), "z", []);
    assert.ok(Math.abs(decodeFloat(z as never, encodeFloat(z as never, 4.5)) - 4.5) < 1e-5);
    const q = paramOf(d.qrandint(0, 100, 25), "q", []);
    assert.deepEqual([-20, 13, 60, 140].map((x) => decodeFloat(q as never, x)), [0, 25, 50, 100]);
    assert.ok(Math.abs(normalCdf(normalQuantile(0.975)) - 0.975) < 1e-7);
  });
});
