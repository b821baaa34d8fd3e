import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { narrowSpace, pinPointInSource, refinedSpec, renderConfigSource } from "../../../src/shared/dashboard-refine.ts";
import { flattenSpace } from "../../../src/shared/dashboard-space.ts";

const space = {
  lr: { __tunelab: "loguniform", lower: 1e-5, upper: 1, base: 10 },
  momentum: { __tunelab: "uniform", lower: 0, upper: 1 },
  batch: { __tunelab: "choice", categories: [16, 32, 64, 128] },
  layers: { __tunelab: "randint", lower: 1, upper: 9 },
  opt: { nested: { __tunelab: "grid", values: ["adam", "sgd", "rmsprop"] } },
  epochs: 10,
};

describe("refine around the best", () => {
  const params = flattenSpace(space);
  const top = [
    { lr: 1e-3, momentum: 0.5, batch: 32, layers: 3, "opt/nested": "adam" },
    { lr: 1e-2, momentum: 0.6, batch: 64, layers: 4, "opt/nested": "adam" },
  ];

  it("narrows loguniform bounds to the top-k range widened in log space", () => {
    const d = narrowSpace(params, top, { widen: 2 }).get("lr")!;
    // log10 range [-3, -2], widened ×2 around its centre → [-3.5, -1.5]
    assert.equal(d.__tunelab, "loguniform");
    assert.ok(Math.abs(Math.log10(d.lower as number) + 3.5) < 0.01, String(d.lower));
    assert.ok(Math.abs(Math.log10(d.upper as number) + 1.5) < 0.01, String(d.upper));
  });

  it("keeps every top-k value inside the narrowed bounds, and stays within the original", () => {
    const n = narrowSpace(params, top, { widen: 1 });
    for (const key of ["lr", "momentum", "layers"]) {
      const d = n.get(key)!;
      const upper = key === "layers" ? (d.upper as number) - 1 : (d.upper as number);
      for (const t of top) {
        const v = (t as Record<string, unknown>)[key] as number;
        assert.ok(v >= (d.lower as number) && v <= upper, `${key} holds ${v}`);
      }
    }
    const wide = narrowSpace(params, top, { widen: 100 });
    assert.equal(wide.get("momentum")!.lower, 0);
    assert.equal(wide.get("momentum")!.upper, 1);
    assert.equal(wide.get("lr")!.upper, 1);
  });

  it("keeps integer domains integer, upper-exclusive for randint", () => {
    const d = narrowSpace(params, top, { widen: 1 }).get("layers")!;
    assert.deepEqual(d, { __tunelab: "randint", lower: 3, upper: 5 });
  });

  it("keeps only the categories the top-k used, in their original order", () => {
    const n = narrowSpace(params, top);
    assert.deepEqual(n.get("batch"), { __tunelab: "choice", categories: [32, 64] });
    assert.deepEqual(n.get("opt/nested"), { __tunelab: "grid", values: ["adam"] });
  });

  it("renders a whole config with helper calls and the imports it uses", () => {
    const spec = { name: "demo", trainable: { python: "train:fn" }, space, metric: "loss", mode: "min", samples: 20 };
    const src = renderConfigSource(refinedSpec(spec, narrowSpace(params, top)), "refined");
    assert.match(src, /^\/\/ refined\nimport \{ defineConfig, choice, grid, loguniform, randint, uniform \} from "tunelab";/);
    assert.match(src, /lr: loguniform\(/);
    assert.match(src, /batch: choice\(\[32, 64\]\)/);
    assert.match(src, /nested: grid\(\["adam"\]\)/);
    assert.match(src, /epochs: 10,/);
  });

  it("quotes hostile keys and values as string literals", () => {
    const src = renderConfigSource({ space: { '"); process.exit(1); ("': 1, ok: "</script>\"" } }, "x");
    assert.match(src, /"\\"\); process.exit\(1\); \(\\"": 1/);
    assert.match(src, /ok: "<\/script>\\""/);
  });
});

describe("pin a config in tune.config.ts", () => {
  it("adds a search entry when there is none", () => {
    const out = pinPointInSource(`export default defineConfig({\n  name: "x",\n});\n`, { lr: 0.1, "opt/name": "adam" })!;
    assert.match(out, /search: \{ kind: "basic_variant", pointsToEvaluate: \[\{\n\s+lr: 0.1,\n\s+opt: \{\n\s+name: "adam",/);
  });

  it("prepends to an existing pointsToEvaluate list", () => {
    const out = pinPointInSource(`defineConfig({ search: tpe({ pointsToEvaluate: [{ lr: 1 }] }) })`, { lr: 0.5 })!;
    assert.ok(out.indexOf("lr: 0.5") < out.indexOf("lr: 1 }"));
  });

  it("adds pointsToEvaluate to a searcher helper call", () => {
    const out = pinPointInSource(`defineConfig({ search: tpe({ seed: 1 }) })`, { lr: 0.5 })!;
    assert.match(out, /tpe\(\{ pointsToEvaluate: \[\{/);
  });

  it("gives up (the caller writes a new file) when search is something it cannot edit", () => {
    assert.equal(pinPointInSource(`defineConfig({ search: mySearch })`, { lr: 1 }), undefined);
  });
});
