/** Tunelab: Stop Experiment — graceful stop through the control API (resumable). */
import * as vscode from "vscode";
import { stopExperiment } from "../runner/control.ts";
import { resolveExperiment, showError, type Services } from "../services.ts";

export function registerStopExperiment(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.stopExperiment", async (arg?: unknown) => {
    const exp = await resolveExperiment(s, arg, (e) => e.phase() === "running", "Stop which running experiment?");
    if (!exp) return;
    try {
      void vscode.window.showInformationMessage(await stopExperiment(exp, s.cli));
    } catch (e) {
      showError(e);
    }
  });
}
