/** Tunelab: Create Config from Template — the walkthrough's first step. */
import * as vscode from "vscode";
import type { Services } from "../services.ts";

const TEMPLATE = `// A Tunelab experiment: \`Tunelab: Run Tuning\` (or the CodeLens above defineConfig) starts it.
import { defineConfig, loguniform, uniform, choice } from "tunelab";

export default defineConfig({
  name: "my-experiment",
  trainable: { python: "train:train_fn" },   // train.py: def train_fn(config): ... tunelab.report({...})
  space: { lr: loguniform(1e-4, 1e-1), momentum: uniform(0.5, 0.99), batch_size: choice([16, 32, 64]) },
  metric: "val_acc",
  mode: "max",
  samples: 8,
  concurrency: 2,
  stop: { training_iteration: 10 },
});
`;

export function registerCreateConfig(_s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.createConfig", async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) return void vscode.window.showErrorMessage("Tunelab: open a folder first; the config is created at its root.");
    const uri = vscode.Uri.joinPath(folder.uri, "tune.config.ts");
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(TEMPLATE));
    }
    await vscode.window.showTextDocument(uri);
  });
}
