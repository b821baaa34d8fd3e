import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { CompletionItem, Hover } from "vscode-languageserver";
import { positionOf, startClient, uriOf } from "./harness.ts";

const GPU_CONFIG = `import { defineConfig } from "tunelab";
export default defineConfig({ trainable: { python: "train:fn" }, resources: { gpu: 2 } });
`;

describe("language server behaviour", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "tunelab-lsp-"));
    writeFileSync(join(dir, "train.py"), "");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("coalesces a burst of edits into one validation of the last version", async () => {
    const client = await startClient({ gpus: 0 }, { debounceMs: 250 });
    try {
      const file = join(dir, "burst.config.ts");
      await client.open(file, GPU_CONFIG);
      const before = client.log.length;
      for (let i = 0; i < 4; i++) await client.edit(file, GPU_CONFIG.replace("gpu: 2", `gpu: ${i}`));
      const last = await client.change(file, GPU_CONFIG.replace("gpu: 2", "gpu: 3"));
      assert.equal(last[0]?.code, "gpu-unavailable");
      assert.deepEqual(client.log.slice(before).map((p) => p.version), [6]);
    } finally {
      client.close();
    }
  });

  it("asks for the GPU count once, only when a config wants GPUs, and re-validates when it is known", async () => {
    let calls = 0;
    let release: (n: number) => void = () => undefined;
    const client = await startClient({}, { detectGpus: () => { calls++; return new Promise((r) => { release = r; }); } });
    try {
      const cpuOnly = join(dir, "cpu.config.ts");
      await client.open(cpuOnly, GPU_CONFIG.replace("gpu: 2", "gpu: 0"));
      assert.equal(calls, 0);
      const file = join(dir, "gpu.config.ts");
      assert.deepEqual(await client.open(file, GPU_CONFIG), [], "unknown GPU count: rule skipped, not guessed");
      await client.change(file, GPU_CONFIG.replace("gpu: 2", "gpu: 3"));
      assert.equal(calls, 1);
      release(1);
      const after = await client.diagnostics(file, 2);
      assert.deepEqual(after.map((d) => [d.code, d.message]), [["gpu-unavailable", "each trial needs 3 GPU(s) but 1 are available"]]);
    } finally {
      client.close();
    }
  });

  it("a settings change re-validates with the new GPU count", async () => {
    const client = await startClient({ gpus: 4 });
    try {
      const file = join(dir, "settings.config.ts");
      assert.deepEqual(await client.open(file, GPU_CONFIG), []);
      await client.rpc.sendNotification("workspace/didChangeConfiguration", { settings: { tunelab: { gpus: 1 } } });
      assert.equal((await client.diagnostics(file, 1))[0]?.code, "gpu-unavailable");
    } finally {
      client.close();
    }
  });

  it("closing a document clears its diagnostics", async () => {
    const client = await startClient({ gpus: 0 });
    try {
      const file = join(dir, "closed.config.ts");
      assert.equal((await client.open(file, GPU_CONFIG)).length, 1);
      await client.rpc.sendNotification("textDocument/didClose", { textDocument: { uri: uriOf(file) } });
      assert.deepEqual(await client.diagnostics(file, 0), []);
    } finally {
      client.close();
    }
  });

  it("completes metric names reported by this config's past runs, its own before auto-filled ones", async () => {
    const file = join(dir, "tune.config.ts");
    const journal = (name: string, configPath: string, r: object): void => {
      mkdirSync(join(dir, ".tunelab", name), { recursive: true });
      writeFileSync(join(dir, ".tunelab", name, "events.jsonl"), [
        { t: "experiment", ts: 1, name, seed: 1, configPath },
        { t: "result", ts: 2, id: "t1", r: { ...r, training_iteration: 1, time_total_s: 0.5, trial_id: "t1", config: { lr: 0.1 } } },
      ].map((e) => JSON.stringify(e)).join("\n") + "\n");
    };
    journal("mine-1", file, { val_loss: 0.3, acc: 0.9 });
    journal("other-1", join(dir, "other", "tune.config.ts"), { reward: 1 });
    const text = `import { defineConfig } from "tunelab";\nexport default defineConfig({ trainable: { python: "train:fn" }, metric: "", mode: "min", stop: {  } });\n`;
    const client = await startClient();
    try {
      await client.open(file, text);
      const inString = await client.rpc.sendRequest<CompletionItem[]>("textDocument/completion", { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'metric: "', 9) });
      assert.deepEqual(inString.map((i) => i.label), ["acc", "val_loss", "time_total_s", "training_iteration"]);
      assert.equal(inString[0]?.textEdit?.newText, "acc");
      const stopKeys = await client.rpc.sendRequest<CompletionItem[]>("textDocument/completion", { textDocument: { uri: uriOf(file) }, position: positionOf(text, "stop: { ", 8) });
      assert.ok(stopKeys.some((i) => i.label === "val_loss" && i.insertText === "val_loss: ${1}"));
      const mode = await client.rpc.sendRequest<CompletionItem[]>("textDocument/completion", { textDocument: { uri: uriOf(file) }, position: positionOf(text, 'mode: "', 7) });
      assert.deepEqual(mode.map((i) => i.label), ["min", "max"]);
    } finally {
      client.close();
    }
  });

  it("hover explains searcher options written in a helper call", async () => {
    const text = `import { defineConfig, randomSearch } from "tunelab";\nexport default defineConfig({ trainable: { python: "train:fn" }, search: randomSearch({ seed: 1, pointsToEvaluate: [] }) });\n`;
    const client = await startClient();
    try {
      const file = join(dir, "hover.config.ts");
      await client.open(file, text);
      const hover = await client.rpc.sendRequest<Hover>("textDocument/hover", { textDocument: { uri: uriOf(file) }, position: positionOf(text, "pointsToEvaluate", 3) });
      assert.match((hover.contents as { value: string }).value, /\*\*search\.pointsToEvaluate\*\*.*Ray Tune: `points_to_evaluate`/s);
    } finally {
      client.close();
    }
  });
});
