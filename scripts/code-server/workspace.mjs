// Test workspaces for the VS Code suites: a shortened copy of examples/digits (fewer, longer or
// shorter trials) in a temp folder, so a real run finishes in seconds.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A temp workspace with train.py, data/ and a tune.config.ts of `samples` trials of `epochs` epochs, keeping `keep` checkpoints each. */
export function demoWorkspace({ samples = 2, epochs = 3, concurrency = 2, keep = 2, prefix = "tl-ws-" } = {}) {
  const ws = fs.mkdtempSync(path.join(fs.realpathSync(os.tmpdir()), prefix));
  const demo = path.join(repoRoot, "examples", "digits");
  fs.copyFileSync(path.join(demo, "train.py"), path.join(ws, "train.py"));
  fs.cpSync(path.join(demo, "data"), path.join(ws, "data"), { recursive: true });
  fs.writeFileSync(path.join(ws, "README.md"), "# Tunelab test workspace\n");
  fs.writeFileSync(path.join(ws, "tune.config.ts"), `// A shortened digits demo for the VS Code tests.
import { defineConfig, loguniform, uniform, choice, randint } from "tunelab";

export default defineConfig({
  name: "digits",
  trainable: { python: "train:train_fn" },
  space: {
    lr: loguniform(0.003, 0.3),
    momentum: uniform(0.5, 0.95),
    l2: loguniform(1e-6, 1e-2),
    batch_size: choice([32, 64]),
    hidden: 16,
    seed: randint(0, 1000),
    epochs: ${epochs},
  },
  metric: "val_acc",
  mode: "max",
  samples: ${samples},
  concurrency: ${concurrency},
  stop: { training_iteration: ${epochs} },
  checkpoints: { keep: ${keep}, scoreAttr: "val_acc", scoreOrder: "max" },
  maxFailures: 0,
  seed: 7,
});
`);
  return ws;
}
