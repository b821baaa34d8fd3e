import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as d from "../../../src/engine/space/domains.ts";
import { validatePoint } from "../../../src/engine/space/validate-point.ts";
import { VariantStream } from "../../../src/engine/space/variants.ts";

const finite = (min: number, max: number): fc.Arbitrary<number> => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
const ordered = fc.tuple(finite(-1e6, 1e6), finite(1e-3, 1e6)).map(([lo, w]) => [lo, lo + w] as const);
const positive = fc.tuple(finite(1e-6, 1e3), finite(1.01, 1e4)).map(([lo, f]) => [lo, lo * f] as const);
const ints = fc.tuple(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 1000 })).map(([lo, w]) => [lo, lo + w] as const);
const constant = fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null));

/** Every kind of domain with parameters the space rules accept. */
const domain: fc.Arbitrary<d.Domain> = fc.oneof(
  ordered.map(([lo, hi]) => d.uniform(lo, hi)),
  fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 1, max: 100 }), fc.constantFrom(0.1, 0.05, 0.25, 1, 5))
    .map(([k, w, q]) => d.quniform(Number((k * q).toFixed(2)), Number(((k + w) * q).toFixed(2)), q)),
  fc.tuple(positive, fc.constantFrom(10, 2, Math.E)).map(([[lo, hi], base]) => d.loguniform(lo, hi, base)),
  fc.tuple(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 200 }), fc.constantFrom(0.5, 1, 2))
    .map(([k, w, q]) => d.qloguniform(k * q, (k + w) * q, q)),
  fc.tuple(finite(-100, 100), finite(0.01, 100)).map(([m, sd]) => d.randn(m, sd)),
  fc.tuple(finite(-100, 100), finite(0.01, 100), fc.constantFrom(0.1, 0.5, 3)).map(([m, sd, q]) => d.qrandn(m, sd, q)),
  ints.map(([lo, hi]) => d.randint(lo, hi)),
  fc.tuple(ints, fc.integer({ min: 1, max: 5 })).map(([[lo, hi], q]) => d.qrandint(lo, hi + q, q)),
  fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 10_000 })).map(([lo, w]) => d.lograndint(lo, lo + w)),
  fc.array(constant, { minLength: 1, maxLength: 4 }).map((c) => d.choice(c)),
  fc.array(constant, { minLength: 1, maxLength: 3 }).map((v) => d.grid(v)),
  fc.constant(d.sampleFrom(({ config }) => Object.keys(config).length)),
);

/** Nested spaces: domains, constants, objects and arrays, and choices whose options hold domains. */
const { space } = fc.letrec<{ value: d.SpaceValue; space: d.Space }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    domain, constant, tie("space"),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.array(tie("space"), { minLength: 1, maxLength: 2 }).map((options) => d.choice(options)),
  ),
  space: fc.dictionary(fc.constantFrom("lr", "layers", "units", "act", "opt", "seed", "x"), tie("value"), { maxKeys: 4 }),
}));

const sampled = (s: d.Space, seed: number): Record<string, unknown>[] => {
  const stream = new VariantStream(s, { samples: 2, seed });
  const out: Record<string, unknown>[] = [];
  for (let c = stream.next(); c !== undefined && out.length < 20; c = stream.next()) out.push(JSON.parse(JSON.stringify(c)) as Record<string, unknown>);
  return out;
};

const codes = (space: d.Space, config: unknown): string[] => validatePoint(space, config).map((x) => `${x.severity}:${x.code}:${x.path.join(".")}`);

void describe("validatePoint", () => {
  void it("accepts every config sampled from a space (after a JSON round trip)", () => {
    fc.assert(fc.property(space, fc.integer({ min: 0, max: 2 ** 31 }), (s, seed) => {
      for (const config of sampled(s, seed)) assert.deepEqual(validatePoint(s, config), [], JSON.stringify(config));
    }), { numRuns: 300 });
  });

  void it("rejects a number moved outside its domain's bounds", () => {
    fc.assert(fc.property(ordered, finite(1e-3, 1e6), ([lo, hi], beyond) => {
      const s = { x: d.uniform(lo, hi) };
      return codes(s, { x: hi + beyond * Math.max(1, Math.abs(hi)) }).includes("error:point-out-of-bounds:config.x")
        && codes(s, { x: lo - beyond * Math.max(1, Math.abs(lo)) }).includes("error:point-out-of-bounds:config.x");
    }));
  });

  void it("names a missing domain key and what the space samples it from", () => {
    const [diag] = validatePoint({ lr: d.loguniform(1e-4, 1e-1), layers: { units: d.randint(8, 64) } }, { lr: 0.01, layers: {} });
    assert.deepEqual(diag?.path, ["config", "layers", "units"]);
    assert.equal(diag?.code, "point-missing-key");
    assert.match(diag?.message ?? "", /randint\(8, 64\)/);
  });

  void it("checks integers, upper exclusivity, quantisation and log positivity", () => {
    const s = { n: d.randint(1, 10), q: d.qrandint(0, 20, 5), u: d.quniform(0, 1, 0.1), l: d.loguniform(1e-3, 1) };
    assert.deepEqual(codes(s, { n: 9, q: 20, u: 0.30000000000000004, l: 1 }), []);
    assert.deepEqual(codes(s, { n: 10, q: 7, u: 0.35, l: 0 }), [
      "error:point-out-of-bounds:config.n", "error:point-not-multiple:config.q", "error:point-not-multiple:config.u", "error:point-log-nonpositive:config.l",
    ]);
    assert.deepEqual(codes(s, { n: 2.5, q: "5", u: null, l: 0.5 }), [
      "error:point-not-integer:config.n", "error:point-not-number:config.q", "error:point-not-number:config.u",
    ]);
  });

  void it("requires choice and grid values to be members, following nested options", () => {
    const s = { act: d.choice(["relu", "tanh"]), opt: d.choice([{ name: "sgd", momentum: d.uniform(0, 1) }, { name: "adam" }]) };
    assert.deepEqual(codes(s, { act: "relu", opt: { name: "sgd", momentum: 0.9 } }), []);
    assert.deepEqual(codes(s, { act: "gelu", opt: { name: "sgd", momentum: 2 } }), ["error:point-not-member:config.act", "error:point-not-member:config.opt"]);
    assert.deepEqual(codes({ g: d.grid([1, 2]) }, { g: 3 }), ["error:point-not-member:config.g"]);
    assert.match(validatePoint(s, { act: "gelu", opt: { name: "adam" } })[0]?.message ?? "", /"gelu" is not one of choice's values: "relu", "tanh"/);
  });

  void it("warns about changed constants and unknown keys, suggesting the likely key", () => {
    const s = { epochs: 12, lr: d.uniform(0, 1) };
    const diags = validatePoint(s, { epochs: 3, lr: 0.5, lrr: 1 });
    assert.deepEqual(diags.map((x) => `${x.severity}:${x.code}`), ["warning:point-constant-differs", "warning:point-unknown-key"]);
    assert.equal(diags[1]?.data?.suggestion, "lr");
  });

  void it("follows arrays and rejects a config that is not an object", () => {
    const s = { layers: [{ units: d.randint(1, 5) }, 7] };
    assert.deepEqual(codes(s, { layers: [{ units: 9 }, 7] }), ["error:point-out-of-bounds:config.layers.0.units"]);
    assert.deepEqual(codes(s, { layers: [{ units: 1 }] }), ["error:point-array-length:config.layers"]);
    assert.deepEqual(codes(s, [1]), ["error:point-not-object:config"]);
  });
});
