import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CodeAction, CompletionItem, Hover, InlayHint, TextEdit } from "vscode-languageserver";
import { positionOf, startClient, uriOf, type TestClient } from "./harness.ts";

const CONFIG = `import { defineConfig, uniform, loguniform, grid } from "tunelab";

export default defineConfig({
  trainable: { command: ["python3", "train.py"] },
  space: {
    lr: uniform(1e-5, 1e-1),
    wd: loguniform(0.1, 0.001),
    layers: grid([1, 2, 3, 4]),
  },
  metric: "val_loss",
  mode: "min",
  numSamples: 5,
  samples: 5,
});
`;

describe("language server over LSP", () => {
  let client: TestClient;
  let dir: string;
  let file: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "tunelab-lsp-"));
    file = join(dir, "tune.config.ts");
    writeFileSync(join(dir, "train.py"), "");
    client = await startClient();
  });
  after(() => {
    client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("publishes the shared rules' diagnostics at the offending ranges", async () => {
    const diags = await client.open(file, CONFIG);
    const byCode = Object.fromEntries(diags.map((d) => [String(d.code), d]));
    assert.deepEqual(Object.keys(byCode).sort(), ["bounds-reversed", "uniform-spans-decades", "unknown-key"]);
    assert.deepEqual(byCode["unknown-key"]?.range, { start: positionOf(CONFIG, "numSamples"), end: positionOf(CONFIG, "numSamples", 10) });
    assert.equal(byCode["unknown-key"]?.severity, 1);
    assert.deepEqual(byCode["bounds-reversed"]?.range.start, positionOf(CONFIG, "loguniform(0.1"));
    assert.equal(byCode["uniform-spans-decades"]?.severity, 2);
  });

  it("re-validates an edited document and reports nothing once it is fixed", async () => {
    const fixed = CONFIG.replace("  numSamples: 5,\n", "").replace("loguniform(0.1, 0.001)", "loguniform(0.001, 0.1)").replace("uniform(1e-5", "loguniform(1e-5");
    const diags = await client.change(file, fixed);
    assert.deepEqual(diags, []);
    await client.change(file, CONFIG);
  });

  it("hover on a distribution tells what it samples, with seeded examples", async () => {
    const hover = await client.rpc.sendRequest<Hover>("textDocument/hover", { textDocument: { uri: uriOf(file) }, position: positionOf(CONFIG, "grid([", 1) });
    const text = (hover.contents as { value: string }).value;
    assert.match(text, /grid\(values\)/);
    assert.match(text, /every one of 4 values in turn/);
    const lr = await client.rpc.sendRequest<Hover>("textDocument/hover", { textDocument: { uri: uriOf(file) }, position: positionOf(CONFIG, "uniform(1e-5", 2) });
    const lrText = (lr.contents as { value: string }).value;
    assert.match(lrText, /a float in \[0\.00001, 0\.1\), linear scale/);
    assert.match(lrText, /Examples \(seed 0\): ([\d.e-]+, ){4}[\d.e-]+/);
  });

  it("hover on a key gives its meaning and default", async () => {
    const hover = await client.rpc.sendRequest<Hover>("textDocument/hover", { textDocument: { uri: uriOf(file) }, position: positionOf(CONFIG, "samples: 5", 2) });
    const text = (hover.contents as { value: string }).value;
    assert.match(text, /\*\*samples\*\*/);
    assert.match(text, /Default: 1/);
    assert.match(text, /num_samples/);
  });

  it("inlay hint counts grid × samples next to samples:", async () => {
    const hints = await client.rpc.sendRequest<InlayHint[]>("textDocument/inlayHint", {
      textDocument: { uri: uriOf(file) }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } },
    });
    assert.equal(hints.length, 1);
    assert.equal(hints[0]?.label, " × 4 grid = 20 trials");
    assert.deepEqual(hints[0]?.position, positionOf(CONFIG, "samples: 5,", 10));
  });

  it("completes distribution helpers in the space, adding the import", async () => {
    const text = CONFIG.replace("    layers:", "    momentum: ,\n    layers:");
    await client.change(file, text);
    const items = await client.rpc.sendRequest<CompletionItem[]>("textDocument/completion", { textDocument: { uri: uriOf(file) }, position: positionOf(text, "momentum: ", 10) });
    const labels = items.map((i) => i.label);
    assert.ok(labels.includes("loguniform") && labels.includes("choice") && labels.includes("randint"), labels.join());
    const choice = items.find((i) => i.label === "choice");
    assert.equal(choice?.insertText, "choice([${1:16, 32, 64}])");
    assert.equal(choice?.additionalTextEdits?.[0]?.newText, ", choice");
    const lu = items.find((i) => i.label === "loguniform");
    assert.equal(lu?.insertText, "loguniform(${1:1e-4}, ${2:1e-1})");
    assert.equal(lu?.additionalTextEdits, undefined);
    await client.change(file, CONFIG);
  });

  it("completes top-level keys that are not there yet, with snippets", async () => {
    const text = CONFIG.replace("  samples: 5,\n", "  samples: 5,\n  \n");
    await client.change(file, text);
    const items = await client.rpc.sendRequest<CompletionItem[]>("textDocument/completion", { textDocument: { uri: uriOf(file) }, position: positionOf(text, "  samples: 5,\n  \n", 16) });
    const labels = items.map((i) => i.label);
    assert.ok(labels.includes("concurrency") && labels.includes("resources") && labels.includes("checkpoints"));
    assert.ok(!labels.includes("metric") && !labels.includes("space"), "keys already present are not offered");
    assert.equal(items.find((i) => i.label === "mode"), undefined);
    assert.equal(items.find((i) => i.label === "concurrency")?.insertText, "concurrency: ${1:2},");
    await client.change(file, CONFIG);
  });

  it("quick fixes: swap bounds, rename an unknown key, sample on a log scale", async () => {
    const diags = await client.change(file, CONFIG);
    const actions = await client.rpc.sendRequest<CodeAction[]>("textDocument/codeAction", {
      textDocument: { uri: uriOf(file) }, range: { start: { line: 0, character: 0 }, end: { line: 20, character: 0 } }, context: { diagnostics: diags },
    });
    const edits = (title: RegExp): TextEdit[] => {
      const a = actions.find((x) => title.test(x.title));
      assert.ok(a, `no action ${title} in ${actions.map((x) => x.title).join(" | ")}`);
      return a.edit?.changes?.[uriOf(file)] ?? [];
    };
    assert.deepEqual(edits(/Swap the bounds/).map((e) => e.newText), ["0.001", "0.1"]);
    assert.deepEqual(edits(/Change "numSamples" to "samples"/).map((e) => e.newText), ["samples"]);
    const log = edits(/log scale/);
    assert.equal(log[0]?.newText, "loguniform");
    assert.deepEqual(log[0]?.range, { start: positionOf(CONFIG, "uniform(1e-5"), end: positionOf(CONFIG, "uniform(1e-5", 7) });
    assert.equal(log.length, 1, "loguniform is already imported");
  });
});
