/** Open Log (inline on a trial): the trial's stderr/stdout log, read-only; the experiment's output channel for an experiment row. */
import * as vscode from "vscode";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { trialFileUri } from "../fs/remote-fs.ts";
import { resolveTrial, type Services } from "../services.ts";
import type { TreeNode } from "../views/tree-nodes.ts";

export function registerOpenTrialLog(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.openTrialLog", async (arg?: TreeNode) => {
    if (arg?.kind === "experiment") return s.logs.channel(arg.exp.dir, arg.exp.name).show(true);
    const target = await resolveTrial(s, arg);
    if (!target) return undefined;
    const dir = target.exp.trialDir(target.id);
    const file = ["error.txt", "stderr.log", "stdout.log"].map((n) => join(dir, n)).find((f) => existsSync(f));
    if (!file) return void vscode.window.showInformationMessage(`Tunelab: trial ${target.id} has no log yet (${dir}).`);
    await vscode.commands.executeCommand("vscode.open", trialFileUri(file), { preview: true });
    return undefined;
  });
}
