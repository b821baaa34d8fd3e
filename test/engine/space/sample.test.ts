import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { createRng } from "../../../src/engine/random.ts";
import * as d from "../../../src/engine/space/domains.ts";
import { decimalsOf, quantize, sampleDomain } from "../../../src/engine/space/sample.ts";

const seed = fc.integer({ min: 0, max: 2 ** 32 - 1 });
/** Ordered finite bounds with room between them. */
const range = fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e6, noNaN: true }))
  .map(([lo, width]) => [lo, lo + width] as const);
const intRange = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 1000 })).map(([lo, w]) => [lo, lo + w] as const);
const draws = (domain: d.Domain, s: number, n = 50): unknown[] => {
  const rng = createRng(s);
  return Array.from({ length: n }, () => sampleDomain(domain, rng));
};
/** True when x is k·q up to float noise. */
const multipleOf = (x: number, q: number): boolean => Math.abs(x / q - Math.round(x / q)) < 1e-6;

void describe("sampling each distribution", () => {
  void it("uniform stays in [lower, upper)", () => {
    fc.assert(fc.property(range, seed, ([lo, hi], s) => draws(d.uniform(lo, hi), s).every((x) => (x as number) >= lo && (x as number) <= hi)));
  });

  void it("quniform gives multiples of q within [lower, upper], free of 0.1+0.2 noise", () => {
    const q = fc.constantFrom(0.1, 0.05, 0.25, 1, 5, 1e-3);
    fc.assert(fc.property(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 1, max: 100 }), q, seed, (k, width, step, s) => {
      const lo = Number((k * step).toFixed(decimalsOf(step)));
      const hi = Number(((k + width) * step).toFixed(decimalsOf(step)));
      return draws(d.quniform(lo, hi, step), s).every((x) => {
        const v = x as number;
        return v >= lo && v <= hi && multipleOf(v, step) && v === Number(v.toFixed(decimalsOf(step)));
      });
    }));
  });

  void it("quniform rounds 0.30000000000000004 to 0.3", () => {
    assert.equal(quantize(0.30000000000000004, 0.1, 0, 1), 0.3);
    assert.equal(quantize(0.7000000000000001, 0.1, 0, 1), 0.7);
  });

  void it("loguniform stays in bounds for any base", () => {
    const bounds = fc.tuple(fc.double({ min: 1e-8, max: 1e3, noNaN: true }), fc.double({ min: 1.001, max: 1e4, noNaN: true }))
      .map(([lo, f]) => [lo, lo * f] as const);
    fc.assert(fc.property(bounds, fc.constantFrom(2, Math.E, 10), seed, ([lo, hi], base, s) =>
      draws(d.loguniform(lo, hi, base), s).every((x) => (x as number) >= lo && (x as number) <= hi)));
  });

  void it("loguniform's log is roughly uniform (equal decade buckets on a fixed seed)", () => {
    const samples = draws(d.loguniform(1e-5, 1e-1), 42, 20_000) as number[];
    const buckets = [0, 0, 0, 0];
    for (const x of samples) buckets[Math.min(3, Math.floor(Math.log10(x) + 5))]! += 1;
    for (const count of buckets) assert.ok(Math.abs(count - 5000) < 300, `bucket counts ${buckets.join(", ")}`);
  });

  void it("qloguniform gives multiples of q within bounds", () => {
    fc.assert(fc.property(seed, (s) => draws(d.qloguniform(1e-3, 1, 1e-3), s).every((x) => {
      const v = x as number;
      return v >= 1e-3 && v <= 1 && multipleOf(v, 1e-3) && v === Number(v.toFixed(3));
    })));
  });

  void it("randn has the given mean and sd (fixed seed)", () => {
    const xs = draws(d.randn(3, 2), 7, 20_000) as number[];
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    assert.ok(Math.abs(mean - 3) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(sd - 2) < 0.05, `sd ${sd}`);
  });

  void it("qrandn gives clean multiples of q", () => {
    fc.assert(fc.property(seed, (s) => draws(d.qrandn(0, 1, 0.1), s).every((x) => multipleOf(x as number, 0.1) && x === Number((x as number).toFixed(1)))));
  });

  void it("randint gives integers in [lower, upper), upper exclusive", () => {
    fc.assert(fc.property(intRange, seed, ([lo, hi], s) => draws(d.randint(lo, hi), s).every((x) => Number.isInteger(x) && (x as number) >= lo && (x as number) < hi)));
    assert.deepEqual(new Set(draws(d.randint(0, 3), 1, 300)), new Set([0, 1, 2]));
  });

  void it("qrandint gives integer multiples of q in [lower, upper], upper inclusive", () => {
    fc.assert(fc.property(intRange, fc.integer({ min: 1, max: 7 }), seed, ([lo, hi], q, s) => {
      fc.pre(Math.floor(hi / q) >= Math.ceil(lo / q));
      return draws(d.qrandint(lo, hi, q), s).every((x) => Number.isInteger(x) && (x as number) % q === 0 && (x as number) >= lo && (x as number) <= hi);
    }));
    assert.deepEqual(new Set(draws(d.qrandint(0, 10, 5), 1, 300)), new Set([0, 5, 10]));
  });

  void it("lograndint gives integers in [lower, upper) with log-uniform spread", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 10_000 }), seed, (lo, w, s) =>
      draws(d.lograndint(lo, lo + w), s).every((x) => Number.isInteger(x) && (x as number) >= lo && (x as number) < lo + w)));
    const xs = draws(d.lograndint(1, 10_000), 3, 20_000) as number[];
    const small = xs.filter((x) => x < 100).length;
    assert.ok(Math.abs(small - 10_000) < 400, `half the mass below 100 on a log scale, got ${small}`);
  });

  void it("choice picks every category, uniformly (fixed seed)", () => {
    const xs = draws(d.choice(["a", "b", "c", "d"]), 5, 8000);
    for (const c of ["a", "b", "c", "d"]) assert.ok(Math.abs(xs.filter((x) => x === c).length - 2000) < 200);
  });

  void it("the same seed gives the same draws", () => {
    fc.assert(fc.property(seed, (s) => {
      assert.deepEqual(draws(d.uniform(0, 1), s), draws(d.uniform(0, 1), s));
    }));
  });

  void it("a quantized domain with no multiple of q in range fails with the path", () => {
    assert.throws(() => sampleDomain(d.quniform(0.1, 0.2, 0.5), createRng(1), ["space", "x"]), /space\.x: no multiple of q=0\.5/);
  });
});
