/** Compare Trials: the configs and last results of two trials side by side in a diff editor. */
import * as vscode from "vscode";
import type { Services } from "../services.ts";
import type { TreeNode } from "../views/tree-nodes.ts";

export function registerCompareTrials(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.compareTrials", async (node?: TreeNode, selected?: TreeNode[]) => {
    let pair = (selected ?? []).filter((n): n is Extract<TreeNode, { kind: "trial" }> => n.kind === "trial");
    if (pair.length !== 2 && node?.kind === "trial") {
      const others = node.exp.trials("best").filter((t) => t.id !== node.id);
      const pick = await vscode.window.showQuickPick(others.map((t) => ({ label: t.id, description: t.status, id: t.id })), { placeHolder: `Compare ${node.id} with…` });
      if (!pick) return;
      pair = [node, s.tree.trialNode(node.exp, pick.id) as Extract<TreeNode, { kind: "trial" }>];
    }
    if (pair.length !== 2) return void vscode.window.showInformationMessage("Tunelab: select two trials (Ctrl/Cmd-click) to compare them.");
    const docs = await Promise.all(pair.map((n) => {
      const t = n.exp.state.trials[n.exp.state.positions.get(n.id) ?? -1];
      return vscode.workspace.openTextDocument({ language: "json", content: JSON.stringify({ id: n.id, status: t?.status, config: t?.config, lastResult: t?.lastResult }, null, 2) });
    }));
    await vscode.commands.executeCommand("vscode.diff", docs[0]!.uri, docs[1]!.uri, `${pair[0]!.id} ↔ ${pair[1]!.id}`);
  });
}
