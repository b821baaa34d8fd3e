import { strict as assert } from "node:assert";
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ConfigError, loadConfig, locateKeyPath } from "../../src/engine/config-loader.ts";
import { isDomain } from "../../src/engine/space/domains.ts";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "tunelab-config-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("loadConfig", () => {
  it("resolves `tunelab` without node_modules and bundles relative imports", async () => {
    const dir = project({
      "tune.config.ts": `import { defineConfig, loguniform, choice } from "tunelab";\nimport { epochs } from "./lib/consts";\n` +
        `const n: number = epochs * 2;\nexport default defineConfig({ trainable: { command: ["x"] }, space: { lr: loguniform(1e-4, 1e-1), opt: choice(["sgd", "adam"]), n }, samples: 3 });\n`,
      "lib/consts.ts": "export const epochs = 5;\n",
    });
    const config = await loadConfig(join(dir, "tune.config.ts"));
    assert.equal(config.samples, 3);
    assert.ok(isDomain(config.space!.lr));
    assert.deepEqual(config.space!.lr, { __tunelab: "loguniform", lower: 1e-4, upper: 1e-1, base: 10 });
    assert.equal(config.space!.n, 10);
  });

  it("keeps sampleFrom functions callable", async () => {
    const dir = project({
      "tune.config.ts": `import { defineConfig, sampleFrom } from "tunelab";\nexport default defineConfig({ trainable: { command: ["x"] }, space: { a: 2, b: sampleFrom(({ config }) => (config.a as number) * 3) } });\n`,
    });
    const config = await loadConfig(join(dir, "tune.config.ts"));
    const b = config.space!.b as { __tunelab: string; fn: (s: { config: Record<string, unknown> }) => unknown };
    assert.equal(b.fn({ config: { a: 2 } }), 6);
  });

  it("reports a syntax error with file, line and column", async () => {
    const dir = project({ "tune.config.ts": `import { defineConfig } from "tunelab";\nexport default defineConfig({\n  samples: 3,,\n});\n` });
    await assert.rejects(loadConfig(join(dir, "tune.config.ts")), (e: ConfigError) =>
      e instanceof ConfigError && /tune\.config\.ts:3:\d+: /.test(e.message));
  });

  it("reports a missing default export and a missing file", async () => {
    const dir = project({ "tune.config.ts": `export const x = 1;\n` });
    await assert.rejects(loadConfig(join(dir, "tune.config.ts")), /export default defineConfig/);
    await assert.rejects(loadConfig(join(dir, "nope.ts")), /cannot read the config: ENOENT/);
  });

  it("reports an exception thrown while evaluating the config", async () => {
    const dir = project({ "tune.config.ts": `throw new Error("boom in config");\nexport default {};\n` });
    await assert.rejects(loadConfig(join(dir, "tune.config.ts")), /evaluating the config threw: boom in config/);
  });
});

describe("locateKeyPath", () => {
  const source = [
    "import { defineConfig, uniform } from 'tunelab';", // 1
    "export default defineConfig({", // 2
    "  name: 'x',", // 3
    "  space: {", // 4
    "    lr: uniform(1, 0),", // 5
    "    nested: { lr: 3 },", // 6
    "  },", // 7
    "  samples: 0,", // 8
    "});", // 9
  ].join("\n");
  it("finds the line of a nested key, following the path in order", () => {
    assert.equal(locateKeyPath(source, ["space", "lr"]), 5);
    assert.equal(locateKeyPath(source, ["space", "nested", "lr"]), 6);
    assert.equal(locateKeyPath(source, ["samples"]), 8);
    assert.equal(locateKeyPath(source, ["missing"]), undefined);
  });
});
