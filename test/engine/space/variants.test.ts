import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import * as d from "../../../src/engine/space/domains.ts";
import { countVariants, generateVariants, VariantStream } from "../../../src/engine/space/variants.ts";

const all = (space: d.Space, options: Parameters<typeof generateVariants>[1] = {}): Record<string, unknown>[] =>
  [...generateVariants(space, options)] as Record<string, unknown>[];

void describe("variant generation (BasicVariantGenerator semantics)", () => {
  void it("grid cardinality × samples variants, every combination exactly `samples` times", () => {
    const sizes = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 });
    fc.assert(fc.property(sizes, fc.integer({ min: 1, max: 4 }), (gridSizes, samples) => {
      const space: Record<string, d.SpaceValue> = { noise: d.uniform(0, 1) };
      gridSizes.forEach((n, i) => { space[`g${i}`] = d.grid(Array.from({ length: n }, (_, v) => v)); });
      const variants = all(space, { samples, seed: 1 });
      const expected = gridSizes.reduce((a, b) => a * b, 1) * samples;
      assert.equal(variants.length, expected);
      assert.equal(countVariants(space, samples), expected);
      const counts = new Map<string, number>();
      for (const v of variants) {
        const key = JSON.stringify(gridSizes.map((_, i) => v[`g${i}`]));
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      assert.equal(counts.size, expected / samples);
      for (const n of counts.values()) assert.equal(n, samples);
    }));
  });

  void it("each repetition of the grid samples random domains afresh", () => {
    const xs = all({ g: d.grid([1, 2]), x: d.uniform(0, 1) }, { samples: 3, seed: 9 }).map((v) => v.x);
    assert.equal(new Set(xs).size, 6);
  });

  void it("the first grid leaf varies fastest, as Ray's increment", () => {
    const order = all({ a: d.grid([1, 2]), b: d.grid(["x", "y"]) }).map((v) => `${v.a as number}${v.b as string}`);
    assert.deepEqual(order, ["1x", "2x", "1y", "2y"]);
  });

  void it("is deterministic under a seed and differs across seeds", () => {
    const space = { lr: d.loguniform(1e-4, 1), n: d.randint(0, 100), g: d.grid([1, 2, 3]) };
    assert.deepEqual(all(space, { samples: 4, seed: 7 }), all(space, { samples: 4, seed: 7 }));
    assert.notDeepEqual(all(space, { samples: 4, seed: 7 }), all(space, { samples: 4, seed: 8 }));
  });

  void it("walks nested objects and arrays, keeping constants", () => {
    const [v] = all({ model: { layers: [d.grid([16]), { units: d.randint(1, 2), act: "relu" }], dropout: 0.5 }, tag: null });
    assert.deepEqual(v, { model: { layers: [16, { units: 1, act: "relu" }], dropout: 0.5 }, tag: null });
  });

  void it("does not mutate the space and returns fresh objects", () => {
    const space = { opt: { name: d.choice(["sgd"]) } };
    const [a, b] = all(space, { samples: 2 });
    assert.notEqual(a!.opt, b!.opt);
    assert.equal(space.opt.name.__tunelab, "choice");
  });

  void it("sampleFrom reads other resolved values, including other sampleFrom results in any order", () => {
    const space = {
      c: d.sampleFrom(({ config }) => (config.b as number) + 1),
      b: d.sampleFrom(({ config }) => (config.a as number) * 10),
      a: d.grid([1, 2]),
      nested: { twice: d.sampleFrom(({ config }) => (config.layers as number[])[0]! * 2) },
      layers: [d.randint(3, 4)],
    };
    assert.deepEqual(all(space).map((v) => [v.a, v.b, v.c, (v.nested as { twice: number }).twice]), [[1, 10, 11, 6], [2, 20, 21, 6]]);
  });

  void it("a sampleFrom cycle fails naming both key paths", () => {
    const space = { x: d.sampleFrom(({ config }) => config.y), y: d.sampleFrom(({ config }) => config.x) };
    assert.throws(() => all(space), /space\.x reads space\.y; space\.y reads space\.x/);
  });

  void it("an exception in a sampleFrom function names its key path", () => {
    const space = { opt: [{ lr: d.sampleFrom(() => { throw new Error("no lr"); }) }] };
    assert.throws(() => all(space), /space\.opt\[0\]\.lr: sampleFrom function threw: no lr/);
  });

  void it("sampleFrom cannot change the config it reads", () => {
    const space = { a: 1, b: d.sampleFrom(({ config }) => { config.a = 2; return 0; }) };
    assert.throws(() => all(space), /space\.b: sampleFrom function threw/);
  });

  void it("grid values that hold domains and grids are resolved and expanded", () => {
    const space = { opt: d.grid([{ name: "sgd", momentum: d.grid([0.9, 0.99]) }, { name: "adam", lr: d.loguniform(1e-4, 1e-2) }]) };
    const variants = all(space, { samples: 2, seed: 3 });
    assert.equal(countVariants(space, 2), 6);
    assert.equal(variants.length, 6);
    assert.deepEqual(variants.slice(0, 3).map((v) => (v.opt as { name: string }).name), ["sgd", "sgd", "adam"]);
    const adam = variants[2]!.opt as { lr: number };
    assert.ok(adam.lr >= 1e-4 && adam.lr <= 1e-2);
  });

  void it("a chosen category's own domains are sampled (conditional spaces)", () => {
    const [v] = all({ opt: d.choice([{ lr: d.uniform(0, 1) }]) });
    const lr = (v!.opt as { lr: unknown }).lr;
    assert.equal(typeof lr, "number");
  });

  void it("points_to_evaluate run first, each replacing one sample, with the missing keys sampled", () => {
    const space = { a: d.grid([1, 2]), lr: d.uniform(0, 1), fixed: "x" };
    const points = [{ lr: 0.5 }];
    const variants = all(space, { samples: 3, seed: 1, points });
    assert.equal(variants.length, 6);
    assert.equal(countVariants(space, 3, points), 6);
    assert.deepEqual(variants.slice(0, 2), [{ a: 1, lr: 0.5, fixed: "x" }, { a: 2, lr: 0.5, fixed: "x" }]);
    assert.ok(variants.slice(2).every((v) => v.lr !== 0.5));
  });

  void it("points beyond samples still all run", () => {
    const variants = all({ lr: d.uniform(0, 1) }, { samples: 1, points: [{ lr: 0.1 }, { lr: 0.2 }] });
    assert.deepEqual(variants, [{ lr: 0.1 }, { lr: 0.2 }]);
  });

  void it("a 10^6-variant grid is produced lazily and counted exactly", () => {
    const space = { a: d.grid(Array.from({ length: 1000 }, (_, i) => i)), b: d.grid(Array.from({ length: 1000 }, (_, i) => i)) };
    assert.equal(countVariants(space, 3), 3_000_000);
    const it = generateVariants(space);
    assert.deepEqual(it.next().value, { a: 0, b: 0 });
    assert.deepEqual(it.next().value, { a: 1, b: 0 });
  });

  void it("counts past 2^53 as Infinity", () => {
    const big = d.grid(Array.from({ length: 1e4 }, (_, i) => i));
    assert.equal(countVariants({ a: big, b: big, c: big, d: big, e: big }), Infinity);
  });

  void it("a stream resumed from its cursor continues with the same variants", () => {
    const space = { g: d.grid(["a", "b", "c"]), x: d.uniform(0, 1) };
    const options = { samples: 3, seed: 11, points: [{ x: 2 }] };
    const whole = all(space, options);
    for (let cut = 0; cut <= whole.length; cut++) {
      const first = new VariantStream(space, options);
      for (let i = 0; i < cut; i++) first.next();
      const resumed = new VariantStream(space, options);
      resumed.seek(JSON.parse(JSON.stringify(first.cursor())) as ReturnType<VariantStream["cursor"]>);
      const rest: unknown[] = [];
      for (let v = resumed.next(); v !== undefined; v = resumed.next()) rest.push(v);
      assert.deepEqual(rest, whole.slice(cut));
    }
  });
});
