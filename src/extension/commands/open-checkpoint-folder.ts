/** Open Checkpoint Folder (inline on a checkpoint): reveal it in the OS file manager, or its files in the tree. */
import * as vscode from "vscode";
import { join } from "node:path";
import type { Services } from "../services.ts";
import type { TreeNode } from "../views/tree-nodes.ts";

export function registerOpenCheckpointFolder(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.openCheckpointFolder", async (node?: TreeNode) => {
    if (node?.kind !== "checkpoint") return void vscode.window.showInformationMessage("Tunelab: choose a checkpoint row in the Trials view.");
    const dir = vscode.Uri.file(join(node.exp.dir, node.path));
    // revealFileInOS needs a desktop; in a browser workbench fall back to expanding the row.
    try {
      await vscode.commands.executeCommand("revealFileInOS", dir);
    } catch {
      await s.treeView.reveal(node, { expand: true });
    }
  });
}
