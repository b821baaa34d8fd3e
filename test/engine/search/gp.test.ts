import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRng } from "../../../src/engine/random.ts";
import { cholesky, defaultHyper, fitHyper, GpPosterior, inverseFromCholesky, logMarginal } from "../../../src/engine/search/gp.ts";

void describe("Gaussian process (Matérn 5/2, ARD)", () => {
  const x = [[0.1], [0.4], [0.5], [0.9]];
  const y = [1, -0.5, 0.2, 0.8];

  void it("interpolates known points with small noise, and is unsure far from them", () => {
    const gp = new GpPosterior(x, y, { logLs: [Math.log(0.2)], logSf2: 0, logSn2: Math.log(1e-6) });
    x.forEach((p, i) => {
      const { mean, sd } = gp.predict(p);
      assert.ok(Math.abs(mean - (y[i] as number)) < 1e-3, `mean at ${p}: ${mean}`);
      assert.ok(sd < 0.01, `sd at ${p}: ${sd}`);
    });
    assert.ok(gp.predict([3]).sd > 0.99);
  });

  void it("gradient of the log marginal likelihood matches finite differences", () => {
    const h = { logLs: [Math.log(0.3)], logSf2: Math.log(1.5), logSn2: Math.log(0.01) };
    const { grad } = logMarginal(x, y, h);
    const eps = 1e-5;
    const bump = (i: number, s: number): number => {
      const v = [...h.logLs, h.logSf2, h.logSn2];
      v[i] = (v[i] as number) + s;
      return logMarginal(x, y, { logLs: [v[0] as number], logSf2: v[1] as number, logSn2: v[2] as number }).value;
    };
    grad.forEach((g, i) => {
      const fd = (bump(i, eps) - bump(i, -eps)) / (2 * eps);
      assert.ok(Math.abs(g - fd) < 1e-4 * Math.max(1, Math.abs(fd)), `d/dθ${i}: ${g} vs ${fd}`);
    });
  });

  void it("fitting raises the marginal likelihood", () => {
    const xs = Array.from({ length: 20 }, (_, i) => [i / 19, (i * 7) % 20 / 19]);
    const ys = xs.map(([a, b]) => Math.sin(6 * (a as number)) + 0.1 * (b as number));
    const start = defaultHyper(2);
    const fitted = fitHyper(xs, ys, createRng(1), start, 1, 30);
    assert.ok(logMarginal(xs, ys, fitted).value > logMarginal(xs, ys, start).value);
    // The irrelevant second input gets the longer length scale.
    assert.ok((fitted.logLs[1] as number) > (fitted.logLs[0] as number));
  });

  void it("Cholesky adds jitter for a singular matrix, and K⁻¹ from it is an inverse", () => {
    const singular = new Float64Array([1, 1, 1, 1]);
    const l = cholesky(singular, 2);
    assert.ok(Number.isFinite(l[3] as number) && (l[3] as number) > 0);
    const a = new Float64Array([4, 2, 2, 3]);
    const inv = inverseFromCholesky(cholesky(a, 2), 2);
    const prod = [4 * (inv[0] as number) + 2 * (inv[2] as number), 4 * (inv[1] as number) + 2 * (inv[3] as number)];
    assert.ok(Math.abs((prod[0] as number) - 1) < 1e-12 && Math.abs(prod[1] as number) < 1e-12);
  });
});
