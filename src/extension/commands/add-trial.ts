/** Tunelab: Add Trial — a config as JSON, queued through the control API. */
import * as vscode from "vscode";
import { addTrial } from "../runner/control.ts";
import { resolveExperiment, showError, type Services } from "../services.ts";

export function registerAddTrial(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.addTrial", async (arg?: unknown, json?: string) => {
    const exp = await resolveExperiment(s, arg, (e) => e.phase() === "running", "Add a trial to which running experiment?");
    if (!exp) return undefined;
    const best = exp.bestTrial() ?? exp.state.trials[0];
    const text = json ?? (await vscode.window.showInputBox({
      title: `Add a trial to ${exp.name}`,
      prompt: "The trial's config as a JSON object; it must fit the search space",
      value: best ? JSON.stringify(best.config) : "{}",
      validateInput: (v) => {
        try {
          const parsed: unknown = JSON.parse(v);
          return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? undefined : "a JSON object, e.g. {\"lr\": 0.01}";
        } catch (e) {
          return `not JSON: ${(e as Error).message}`;
        }
      },
    }));
    if (text === undefined) return undefined;
    try {
      const id = await addTrial(exp, JSON.parse(text) as Record<string, unknown>);
      void vscode.window.showInformationMessage(`Tunelab: added trial ${id} to ${exp.name}`);
      return id;
    } catch (e) {
      showError(e);
      return undefined;
    }
  });
}
