/** Tunelab: Run Tuning — pick the config and the target, start the runner detached, follow it. */
import * as vscode from "vscode";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { resolvePython } from "../python.ts";
import { slurmDefaults, sshHosts, storageFor } from "../settings.ts";
import { launchRunner, LaunchError } from "../runner/launch.ts";
import { requireTrust, showError, type Services } from "../services.ts";

/** Picks a tune.config.ts: the argument, the active editor's, the only one, or a quick pick. */
export async function pickConfig(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && arg.fsPath.endsWith("tune.config.ts")) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active?.fsPath.endsWith("tune.config.ts")) return active;
  const found = await vscode.workspace.findFiles("**/tune.config.ts", "**/{node_modules,.tunelab}/**", 50);
  if (found.length <= 1) {
    if (!found[0]) void vscode.window.showWarningMessage("Tunelab: no tune.config.ts in this workspace. Create one with “Tunelab: Create Config from Template”.");
    return found[0];
  }
  const pick = await vscode.window.showQuickPick(found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })), { placeHolder: "Which tune.config.ts?" });
  return pick?.uri;
}

type Target = { kind: "local" } | { kind: "ssh"; host: string } | { kind: "slurm" };

async function pickTarget(): Promise<Target | undefined> {
  const targets: { label: string; description?: string; target: Target }[] = [{ label: "$(vm) Local", description: "this machine", target: { kind: "local" } }];
  for (const h of sshHosts()) targets.push({ label: `$(remote) ${h.name ?? h.host}`, description: `SSH ${h.user ? `${h.user}@` : ""}${h.host}`, target: { kind: "ssh", host: h.host } });
  const slurm = slurmDefaults();
  if (slurm) targets.push({ label: "$(server) Slurm", description: slurm.partition ? `partition ${slurm.partition}` : "cluster defaults", target: { kind: "slurm" } });
  if (targets.length === 1) return targets[0]!.target;
  return (await vscode.window.showQuickPick(targets, { placeHolder: "Where should the trials run?" }))?.target;
}

export function registerRunTuning(s: Services): vscode.Disposable {
  return vscode.commands.registerCommand("tunelab.runTuning", async (arg?: unknown) => {
    if (!requireTrust("Run Tuning")) return undefined;
    const config = await pickConfig(arg);
    if (!config) return undefined;
    const target = await pickTarget();
    if (!target) return undefined;
    if (target.kind !== "local") {
      void vscode.window.showErrorMessage(`Tunelab: running on ${target.kind === "ssh" ? `SSH host ${target.host}` : "Slurm"} needs the SSH/Slurm executors, which this version of the runner lacks; set \`executor\` in ${vscode.workspace.asRelativePath(config)} once they land, or run locally.`);
      return undefined;
    }
    await vscode.workspace.save(config).then(undefined, () => undefined);
    const configPath = config.fsPath;
    const storage = storageFor(configPath, readFileSync(configPath, "utf8"));
    const python = await resolvePython(config);
    const logFile = join(storage, ".logs", `run-${Date.now()}.log`);
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Tunelab: starting ${vscode.workspace.asRelativePath(config)}…` }, async () => {
      try {
        const launched = await launchRunner({
          cli: s.cli, args: ["run", configPath, "--storage", storage], cwd: dirname(configPath), logFile, python: python.path,
          shimRoot: join(s.context.globalStorageUri.fsPath, "python"),
        });
        const exp = await s.experiments.add(launched.expDir);
        const channel = s.logs.channel(exp.dir, exp.name);
        channel.appendLine(`Started by VS Code: pid ${launched.pid}, Python ${python.path} (${python.source}), log ${logFile}`);
        s.logs.follow(logFile, channel, () => exp.phase() !== "running");
        void s.experiments.poll();
        void vscode.window.showInformationMessage(`Tunelab: running ${exp.name}`, "Show Log").then((c) => c && channel.show(true));
        return exp.dir;
      } catch (e) {
        if (e instanceof LaunchError) {
          const channel = s.logs.channel(`launch:${configPath}`, vscode.workspace.asRelativePath(config));
          channel.append(e.log);
          s.logs.addTracebacks(e.log, "runner", dirname(configPath));
          void vscode.window.showErrorMessage(e.message, "Show Log").then((c) => c && channel.show(true));
          return undefined;
        }
        showError(e);
        return undefined;
      }
    });
  });
}
