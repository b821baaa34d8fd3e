/** Tunelab: Copy Best Config — the best trial's config as JSON on the clipboard. */
import * as vscode from "vscode";
import { resolveExperiment, type Services } from "../services.ts";

export function registerCopyBestConfig(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.copyBestConfig", async (arg?: unknown) => {
    const exp = await resolveExperiment(s, arg);
    if (!exp) return undefined;
    const best = exp.bestTrial();
    if (!best) return void vscode.window.showWarningMessage(`Tunelab: no trial of ${exp.name} has reported ${exp.state.metric ?? "its metric"} yet.`);
    const text = JSON.stringify(best.config, null, 2);
    await vscode.env.clipboard.writeText(text);
    void vscode.window.showInformationMessage(`Tunelab: copied the config of ${best.id} (${exp.state.metric}=${best.best})`);
    return text;
  });
}
