/** Tunelab: Resume Experiment — `tunelab resume <dir>` for an interrupted experiment, detached. */
import * as vscode from "vscode";
import { dirname, join } from "node:path";
import { resolvePython } from "../python.ts";
import { launchRunner, LaunchError } from "../runner/launch.ts";
import { requireTrust, resolveExperiment, showError, type Services } from "../services.ts";

export function registerResumeExperiment(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.resumeExperiment", async (arg?: unknown) => {
    if (!requireTrust("Resume Experiment")) return;
    const exp = await resolveExperiment(s, arg, (e) => e.kind === "tunelab" && e.phase() === "interrupted", "Resume which interrupted experiment?");
    if (!exp) return;
    if (exp.phase() !== "interrupted") return void vscode.window.showWarningMessage(`Tunelab: ${exp.name} is ${exp.phase()}; only an interrupted experiment can be resumed.`);
    const python = await resolvePython();
    const logFile = join(dirname(exp.dir), ".logs", `resume-${Date.now()}.log`);
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Tunelab: resuming ${exp.name}…` }, async () => {
      try {
        const launched = await launchRunner({ cli: s.cli, args: ["resume", exp.dir], cwd: dirname(exp.dir), logFile, python: python.path, shimRoot: join(s.context.globalStorageUri.fsPath, "python") });
        const channel = s.logs.channel(exp.dir, exp.name);
        channel.appendLine(`Resumed by VS Code: pid ${launched.pid}, log ${logFile}`);
        s.logs.follow(logFile, channel, () => exp.phase() !== "running");
      } catch (e) {
        showError(e instanceof LaunchError ? new Error(`${e.message}`) : e);
      }
    });
  });
}
