/** Fetch Checkpoint (inline on a checkpoint kept on its ssh host): bring its files home with the CLI. */
import * as vscode from "vscode";
import { join } from "node:path";
import { requireTrust, showError, type Services } from "../services.ts";
import type { TreeNode } from "../views/tree-nodes.ts";
import { cliMessage, fetchArgs } from "../fs/cli-listing.ts";
import { runCli } from "../fs/cli-source.ts";

export function registerFetchCheckpoint(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.fetchCheckpoint", async (arg?: unknown) => {
    const node = (arg ?? s.treeView.selection[0]) as TreeNode | undefined;
    if (node?.kind !== "checkpoint") return void vscode.window.showInformationMessage("Tunelab: choose a checkpoint row in the Trials view.");
    if (!node.remote) return void vscode.window.showInformationMessage(`Tunelab: checkpoint ${node.iteration} of ${node.trialId} is already on this machine.`);
    // ssh runs with the experiment's ssh config (which may name a ProxyCommand): only in a trusted workspace.
    if (!requireTrust("Fetching a remote checkpoint")) return undefined;
    const localDir = join(node.exp.dir, node.path);
    const { host } = node.remote;
    const title = `Tunelab: fetching checkpoint ${node.iteration} of ${node.trialId} from ${host}`;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title }, () => runCli(s.cli, fetchArgs(node.exp.dir, localDir)));
    s.tree.refreshTrial(node.exp, node.trialId);
    if (r.code !== 0) return showError(new Error(cliMessage(r.stderr, `fetching ${localDir} from ${host} failed (exit ${r.code})`)));
    void vscode.window.showInformationMessage(`Tunelab: checkpoint ${node.iteration} of ${node.trialId} is now in ${localDir}`);
    return localDir;
  });
}
