/** Tunelab: Refresh — rescan the storage dirs and redraw the tree. */
import * as vscode from "vscode";
import type { Services } from "../services.ts";

export function registerRefresh(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.refresh", async () => {
    await s.experiments.poll();
    s.tree.refresh();
    s.statusBar.update();
  });
}
