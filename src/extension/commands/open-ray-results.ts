/** Tunelab: Open Ray Tune Results… — show an existing Ray Tune (or Tunelab) result dir in the tree. */
import * as vscode from "vscode";
import { isRayTuneDir } from "../model/raytune.ts";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Services } from "../services.ts";

export function registerOpenRayResults(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.openRayResults", async (arg?: vscode.Uri) => {
    const uri = arg ?? (await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: "Open Results", title: "A Ray Tune experiment dir (with experiment_state-*.json)" }))?.[0];
    if (!uri) return undefined;
    const dir = uri.fsPath;
    if (!isRayTuneDir(dir) && !existsSync(join(dir, "events.jsonl"))) {
      void vscode.window.showErrorMessage(`Tunelab: ${dir} is not a Ray Tune result dir (no experiment_state-*.json) nor a Tunelab experiment dir (no events.jsonl).`);
      return undefined;
    }
    const exp = await s.experiments.add(dir);
    await s.treeView.reveal(s.tree.expNode(exp), { expand: true, focus: true, select: true });
    return exp.dir;
  });
}
