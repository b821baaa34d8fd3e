/**
 * The trial tree: experiments → trials → checkpoints → files. Children are
 * built only when a row is expanded; a change refreshes just the experiment
 * rows that changed (coalesced by the model), and trial rows keep stable ids
 * so expansion and selection survive updates. 10,000 trials are one cached
 * sort and 10,000 plain objects per refresh of that experiment.
 */
import * as vscode from "vscode";
import { join, relative } from "node:path";
import type { Experiments } from "../model/experiments.ts";
import type { Experiment } from "../model/experiment.ts";
import { trialOrder } from "../settings.ts";
import { trialFileUri } from "../fs/remote-fs.ts";
import { checkpointFilesRoot, checkpointRow, remoteCheckpointOf } from "./checkpoint-rows.ts";
import { configTooltip, experimentDescription, phaseIcon, trialDescription, trialIcon, type TreeNode } from "./tree-nodes.ts";

/** How the tree reaches files that stayed on an experiment's ssh hosts. */
export interface RemoteFiles {
  /** Makes `host`'s files browsable for the experiment in `expDir`; returns why it cannot (e.g. Restricted Mode). */
  connect(host: string, expDir: string): string | undefined;
}

export class TrialTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly expNodes = new Map<Experiment, TreeNode>();
  private readonly trialNodes = new Map<string, TreeNode>();
  private readonly subscription: { dispose(): void };

  constructor(private readonly experiments: Experiments, private readonly remote?: RemoteFiles) {
    this.subscription = experiments.onDidChange((change) => {
      if (change.listChanged) return this.emitter.fire(undefined);
      for (const exp of change.changed) this.emitter.fire(this.expNode(exp));
    });
  }

  /** Redraws one trial's checkpoints (a checkpoint was fetched). */
  refreshTrial(exp: Experiment, id: string): void {
    this.emitter.fire(this.trialNode(exp, id));
  }

  /** Redraws everything (the Refresh command, a settings change). */
  refresh(): void {
    this.emitter.fire(undefined);
  }

  expNode(exp: Experiment): TreeNode {
    let node = this.expNodes.get(exp);
    if (!node) this.expNodes.set(exp, (node = { kind: "experiment", exp }));
    return node;
  }

  trialNode(exp: Experiment, id: string): TreeNode {
    const key = `${exp.dir}\0${id}`;
    let node = this.trialNodes.get(key);
    if (!node) this.trialNodes.set(key, (node = { kind: "trial", exp, id }));
    return node;
  }

  getChildren(node?: TreeNode): TreeNode[] | Promise<TreeNode[]> {
    if (!node) return this.experiments.list().reverse().map((e) => this.expNode(e));
    switch (node.kind) {
      case "experiment":
        return node.exp.trials(trialOrder()).map((t) => this.trialNode(node.exp, t.id));
      case "trial": {
        const trial = node.exp.state.trials[node.exp.state.positions.get(node.id) ?? -1];
        return (trial?.checkpoints ?? [])
          .slice()
          .sort((a, b) => b.iteration - a.iteration)
          .map((c): TreeNode => {
            // One small file read per checkpoint, only when the trial is expanded.
            const remote = remoteCheckpointOf(join(node.exp.dir, c.path));
            return { kind: "checkpoint", exp: node.exp, trialId: node.id, path: c.path, iteration: c.iteration, ...(c.score !== undefined ? { score: c.score } : {}), ...(remote ? { remote } : {}) };
          });
      }
      case "checkpoint": {
        const root = checkpointFilesRoot(node.exp.dir, node.path, node.remote);
        if (root.host !== undefined) {
          const why = this.remote ? this.remote.connect(root.host, node.exp.dir) : `Tunelab cannot reach ${root.host} from here`;
          if (why) return [{ kind: "message", exp: node.exp, text: `on ${root.host}: ${why}`, tooltip: `${root.host}:${root.path}` }];
        }
        return this.files(node.exp, root.path, root.host);
      }
      case "file":
        return node.isDir ? this.files(node.exp, node.path, node.host) : [];
      case "message":
        return [];
    }
  }

  private async files(exp: Experiment, dir: string, host: string | undefined): Promise<TreeNode[]> {
    try {
      const entries = await vscode.workspace.fs.readDirectory(trialFileUri(dir, host));
      entries.sort((a, b) => Number(b[1] === vscode.FileType.Directory) - Number(a[1] === vscode.FileType.Directory) || a[0].localeCompare(b[0]));
      return entries.map(([name, type]) => ({ kind: "file", exp, path: join(dir, name), isDir: type === vscode.FileType.Directory, ...(host !== undefined ? { host } : {}) }));
    } catch (e) {
      // A local dir removed by retention since the row was drawn shows empty; an unreachable host says so.
      return host === undefined ? [] : [{ kind: "message", exp, text: e instanceof Error ? e.message.replace(/ \(FileSystemError\)$/, "") : String(e), tooltip: `${host}:${dir}` }];
    }
  }

  getParent(node: TreeNode): TreeNode | undefined {
    if (node.kind === "trial") return this.expNode(node.exp);
    if (node.kind === "checkpoint") return this.trialNode(node.exp, node.trialId);
    return node.kind === "experiment" ? undefined : undefined;
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    switch (node.kind) {
      case "experiment": {
        const phase = node.exp.phase();
        // Only running experiments open by default: a closed one with 10,000 trials costs nothing until expanded.
        const item = new vscode.TreeItem(node.exp.name, phase === "running" ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `exp:${node.exp.dir}`;
        item.description = experimentDescription(node.exp, phase);
        item.tooltip = node.exp.dir;
        item.iconPath = new vscode.ThemeIcon(node.exp.kind === "ray" ? "archive" : phaseIcon(phase));
        item.contextValue = `experiment.${node.exp.kind}.${phase}`;
        item.accessibilityInformation = { label: `${node.exp.name} ${item.description}` };
        return item;
      }
      case "trial": {
        const state = node.exp.state;
        const trial = state.trials[state.positions.get(node.id) ?? -1];
        const item = new vscode.TreeItem(node.id, trial?.checkpoints.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `trial:${node.exp.dir}:${node.id}`;
        if (!trial) return item;
        item.description = trialDescription(trial, state.metric);
        const icon = trialIcon(trial);
        item.iconPath = new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
        item.tooltip = new vscode.MarkdownString().appendCodeblock(configTooltip(trial), "yaml");
        item.contextValue = `trial.${trial.status}`;
        item.accessibilityInformation = { label: `trial ${node.id} ${item.description}` };
        return item;
      }
      case "checkpoint": {
        const localDir = join(node.exp.dir, node.path);
        const row = checkpointRow({ iteration: node.iteration, ...(node.score !== undefined ? { score: node.score } : {}), localDir }, node.remote);
        const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.Collapsed);
        // The id changes once fetched, so the row is drawn afresh (collapsed) with its local files.
        item.id = `ckpt:${node.exp.dir}:${node.path}${node.remote ? ":remote" : ""}`;
        item.description = row.description;
        item.tooltip = row.tooltip;
        item.iconPath = new vscode.ThemeIcon(row.icon);
        item.contextValue = row.contextValue;
        const root = checkpointFilesRoot(node.exp.dir, node.path, node.remote);
        item.resourceUri = trialFileUri(root.path, root.host);
        item.accessibilityInformation = { label: `${row.label} ${row.description}` };
        return item;
      }
      case "message": {
        const item = new vscode.TreeItem(node.text, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon("info");
        if (node.tooltip) item.tooltip = node.tooltip;
        item.contextValue = "message";
        return item;
      }
      case "file": {
        const uri = trialFileUri(node.path, node.host);
        const item = new vscode.TreeItem(uri, node.isDir ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `file:${node.host !== undefined ? `${node.host}:` : ""}${node.path}`;
        item.description = node.isDir ? undefined : node.host !== undefined ? `on ${node.host}` : relative(node.exp.dir, node.path);
        item.contextValue = node.isDir ? "folder" : "file";
        item.iconPath = node.isDir ? vscode.ThemeIcon.Folder : vscode.ThemeIcon.File;
        if (!node.isDir) item.command = { command: "vscode.open", title: "Open (read-only)", arguments: [uri, { preview: true }] };
        item.accessibilityInformation = { label: `file ${uri.path.split("/").pop() ?? ""}` };
        return item;
      }
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
