/** Tunelab: Open Dashboard (and Reveal in Dashboard on a trial row). */
import * as vscode from "vscode";
import { openDashboard } from "../panels/dashboard.ts";
import { resolveExperiment, type Services } from "../services.ts";
import type { TreeNode } from "../views/tree-nodes.ts";

export function registerOpenDashboard(s: Services): vscode.Disposable[] {
  const open = async (arg?: unknown, trialId?: string): Promise<void> => {
    // From the CodeLens the argument is the config: show its newest experiment.
    if (arg instanceof vscode.Uri && arg.fsPath.endsWith("tune.config.ts")) {
      const configPath = arg.fsPath;
      const mine = s.experiments.list().filter((e) => e.state.configPath === configPath).pop();
      arg = mine?.dir ?? s.statusBar.current()?.dir;
    }
    const exp = await resolveExperiment(s, arg);
    if (exp) await openDashboard(s.context, exp.dir, trialId);
  };
  return [
    vscode.commands.registerCommand("tunelab.openDashboard", open),
    vscode.commands.registerCommand("tunelab.revealInDashboard", async (node?: TreeNode) => {
      if (node?.kind === "trial") await open(node, node.id);
      else await open(node);
    }),
  ];
}
