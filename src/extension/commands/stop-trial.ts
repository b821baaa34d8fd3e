/** Tunelab: Stop Trial — inline on running trial rows. */
import * as vscode from "vscode";
import { stopTrial } from "../runner/control.ts";
import { resolveTrial, showError, type Services } from "../services.ts";

export function registerStopTrial(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.stopTrial", async (arg?: unknown) => {
    const target = await resolveTrial(s, arg, (status) => status === "RUNNING");
    if (!target) return;
    try {
      void vscode.window.showInformationMessage(await stopTrial(target.exp, target.id));
      void s.experiments.poll();
    } catch (e) {
      showError(e);
    }
  });
}
