/**
 * The extension host entry. Thin by design: it starts the runner as its own
 * process, tails experiment dirs, and sends control requests; it never runs
 * the tuning loop. Activation only wires things up (no file reads beyond one
 * readdir per storage root, which happens after activate returns).
 */
import * as vscode from "vscode";
import { dirname, join } from "node:path";
import { Experiments } from "./model/experiments.ts";
import { TrialTreeProvider } from "./views/trial-tree.ts";
import { TunelabStatusBar } from "./views/status-bar.ts";
import { ConfigCodeLens } from "./views/codelens.ts";
import { ExperimentLogs } from "./logs/experiment-logs.ts";
import { REMOTE_SCHEME, TrialFileSystem } from "./fs/remote-fs.ts";
import { cliPath, type Services } from "./services.ts";
import { storageSetting } from "./settings.ts";
import { registerRunTuning } from "./commands/run-tuning.ts";
import { registerStopExperiment } from "./commands/stop-experiment.ts";
import { registerResumeExperiment } from "./commands/resume-experiment.ts";
import { registerStopTrial } from "./commands/stop-trial.ts";
import { registerAddTrial } from "./commands/add-trial.ts";
import { registerOpenDashboard } from "./commands/open-dashboard.ts";
import { registerCopyBestConfig } from "./commands/copy-best-config.ts";
import { registerOpenRayResults } from "./commands/open-ray-results.ts";
import { registerRefresh } from "./commands/refresh.ts";
import { registerOpenTrialLog } from "./commands/open-trial-log.ts";
import { registerOpenCheckpointFolder } from "./commands/open-checkpoint-folder.ts";
import { registerCompareTrials } from "./commands/compare-trials.ts";
import { registerCreateConfig } from "./commands/create-config.ts";
import { registerFetchCheckpoint } from "./commands/fetch-checkpoint.ts";
import { CliCheckpointSource } from "./fs/cli-source.ts";
import type { TreeNode } from "./views/tree-nodes.ts";
import { ConfigLanguageClient } from "./client/language-client.ts";
import { registerDashboardSerializer } from "./panels/dashboard.ts";

/** What tests read through `vscode.extensions.getExtension(...).exports`. */
export interface TunelabApi {
  services: Services;
  /** Milliseconds from the start of loading our bundle to the end of activate(). */
  activationMs: number;
  /** The part of activationMs spent evaluating the bundle's modules. */
  loadMs: number;
  fileSystem: TrialFileSystem;
}

export function activate(context: vscode.ExtensionContext): TunelabApi {
  // The bundle's banner and footer stamp its module evaluation, so the figure includes loading our code
  // but not what the host does between loading and calling activate().
  const activateStart = performance.now();
  const stamps = globalThis as { __tunelabLoadStart?: number; __tunelabLoadEnd?: number };
  const loadMs = (stamps.__tunelabLoadEnd ?? 0) - (stamps.__tunelabLoadStart ?? 0);
  const configDirs = new Set<string>();
  const roots = (): string[] => {
    const out = [...configDirs].map((d) => join(d, ".tunelab"));
    const setting = storageSetting();
    if (setting) out.push(setting);
    return out;
  };
  const experiments = new Experiments({ roots });
  const fileSystem = new TrialFileSystem();
  const cli = cliPath(context);
  const tree = new TrialTreeProvider(experiments, {
    // Listing a host runs ssh with the experiment's ssh config, which may name a ProxyCommand: trusted workspaces only.
    connect: (host, expDir) => {
      if (!vscode.workspace.isTrusted) return "browsing it runs ssh; trust the workspace to browse remote checkpoints";
      fileSystem.ensure(host, () => new CliCheckpointSource(cli, expDir, host));
      return undefined;
    },
  });
  const treeView = vscode.window.createTreeView("tunelab.trials", { treeDataProvider: tree, showCollapseAll: true, canSelectMany: true });
  const statusBar = new TunelabStatusBar(experiments);
  const logs = new ExperimentLogs();
  const s: Services = { context, experiments, tree, treeView, statusBar, logs, cli };

  const updateContext = (): void => {
    const running = experiments.list().some((e) => e.phase() === "running");
    void vscode.commands.executeCommand("setContext", "tunelab.hasExperiments", experiments.list().length > 0);
    void vscode.commands.executeCommand("setContext", "tunelab.running", running);
  };
  context.subscriptions.push(
    experiments, tree, treeView, statusBar, logs,
    vscode.workspace.registerFileSystemProvider(REMOTE_SCHEME, fileSystem, { isReadonly: true, isCaseSensitive: true }),
    vscode.languages.registerCodeLensProvider({ pattern: "**/tune.config.ts" }, new ConfigCodeLens()),
    experiments.onDidChange((change) => {
      updateContext();
      for (const exp of change.changed) void logs.reportErrors(exp);
    }),
    registerRunTuning(s), registerStopExperiment(s), registerResumeExperiment(s), registerStopTrial(s), registerAddTrial(s),
    ...registerOpenDashboard(s), registerCopyBestConfig(s), registerOpenRayResults(s), registerRefresh(s),
    registerOpenTrialLog(s), registerOpenCheckpointFolder(s), registerCompareTrials(s), registerCreateConfig(s),
    registerFetchCheckpoint(s),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("tunelab")) void vscode.commands.executeCommand("tunelab.refresh");
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => void vscode.commands.executeCommand("setContext", "tunelab.trusted", true)),
    // Dashboards reopen after a window reload; the config language server starts with the first open config.
    registerDashboardSerializer(context),
    new ConfigLanguageClient(context),
  );
  void vscode.commands.executeCommand("setContext", "tunelab.trusted", vscode.workspace.isTrusted);

  // Finding configs is a workspace search: done after activate returns, then the first scan.
  const watcher = vscode.workspace.createFileSystemWatcher("**/tune.config.ts");
  const addConfig = (uri: vscode.Uri): void => {
    configDirs.add(dirname(uri.fsPath));
    void experiments.poll();
  };
  context.subscriptions.push(watcher, watcher.onDidCreate(addConfig));
  void Promise.resolve(vscode.workspace.findFiles("**/tune.config.ts", "**/{node_modules,.tunelab}/**", 200)).then((uris) => {
    uris.forEach(addConfig);
    experiments.start();
  });
  const activationMs = loadMs + performance.now() - activateStart;
  return { services: s, activationMs, loadMs, fileSystem };
}

export function deactivate(): void {
  // Experiments keep running: they are separate processes (ARCHITECTURE.md).
}

export type { TreeNode };
