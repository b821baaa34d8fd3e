/** What the commands share, created once in activate(). */
import * as vscode from "vscode";
import { join } from "node:path";
import type { Experiments } from "./model/experiments.ts";
import type { Experiment } from "./model/experiment.ts";
import type { TrialTreeProvider } from "./views/trial-tree.ts";
import type { TunelabStatusBar } from "./views/status-bar.ts";
import type { ExperimentLogs } from "./logs/experiment-logs.ts";
import type { TreeNode } from "./views/tree-nodes.ts";

export interface Services {
  context: vscode.ExtensionContext;
  experiments: Experiments;
  tree: TrialTreeProvider;
  treeView: vscode.TreeView<TreeNode>;
  statusBar: TunelabStatusBar;
  logs: ExperimentLogs;
  /** The bundled CLI. */
  cli: string;
}

export function cliPath(context: vscode.ExtensionContext): string {
  return join(context.extensionPath, "dist", "cli.mjs");
}

/** The experiment a command is about: from its argument (tree row, dir, URI), the tree selection, or a quick pick. */
export async function resolveExperiment(s: Services, arg: unknown, filter: (e: Experiment) => boolean = () => true, placeHolder = "Which experiment?"): Promise<Experiment | undefined> {
  const fromArg = experimentOf(s, arg) ?? experimentOf(s, s.treeView.selection[0]);
  if (fromArg) return fromArg;
  const candidates = s.experiments.list().filter(filter).reverse();
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage("Tunelab: no matching experiment in this workspace.");
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const pick = await vscode.window.showQuickPick(candidates.map((e) => ({ label: e.name, description: e.phase(), detail: e.dir, exp: e })), { placeHolder });
  return pick?.exp;
}

function experimentOf(s: Services, arg: unknown): Experiment | undefined {
  if (!arg) return undefined;
  if (typeof arg === "string") return s.experiments.get(arg);
  if (arg instanceof vscode.Uri) return arg.scheme === "file" ? s.experiments.get(arg.fsPath) : undefined;
  if (typeof arg === "object" && "exp" in arg) return (arg as { exp: Experiment }).exp;
  return undefined;
}

/** The trial a command is about: a trial row, else a quick pick over the experiment's trials. */
export async function resolveTrial(s: Services, arg: unknown, filter: (status: string) => boolean = () => true): Promise<{ exp: Experiment; id: string } | undefined> {
  const node = (arg ?? s.treeView.selection[0]) as TreeNode | undefined;
  if (node?.kind === "trial") return { exp: node.exp, id: node.id };
  if (node?.kind === "checkpoint") return { exp: node.exp, id: node.trialId };
  const exp = await resolveExperiment(s, arg);
  if (!exp) return undefined;
  const trials = exp.trials("best").filter((t) => filter(t.status));
  const pick = await vscode.window.showQuickPick(trials.map((t) => ({ label: t.id, description: t.status, id: t.id })), { placeHolder: "Which trial?" });
  return pick ? { exp, id: pick.id } : undefined;
}

/** Shows an error from a command as a message the user can act on. */
export function showError(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  void vscode.window.showErrorMessage(message.startsWith("Tunelab") ? message : `Tunelab: ${message}`);
}

/** Untrusted workspaces never execute: returns false (after saying why) when `what` must not run. */
export function requireTrust(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showErrorMessage(`Tunelab: ${what} is disabled in Restricted Mode: running would execute this workspace's code. Browsing results still works. Trust the workspace to run.`, "Manage Workspace Trust").then((choice) => {
    if (choice) void vscode.commands.executeCommand("workbench.trust.manage");
  });
  return false;
}
