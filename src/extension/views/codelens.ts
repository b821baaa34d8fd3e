/** "Run Tuning · Open Dashboard" above `defineConfig(` in tune.config.ts. */
import * as vscode from "vscode";

export class ConfigCodeLens implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const text = doc.getText();
    const at = text.search(/\bdefineConfig\s*\(/);
    if (at < 0) return [];
    const range = new vscode.Range(doc.positionAt(at), doc.positionAt(at));
    return [
      new vscode.CodeLens(range, { title: "$(play) Run Tuning", command: "tunelab.runTuning", arguments: [doc.uri] }),
      new vscode.CodeLens(range, { title: "$(graph) Open Dashboard", command: "tunelab.openDashboard", arguments: [doc.uri] }),
    ];
  }
}
