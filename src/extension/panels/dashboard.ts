/**
 * The dashboard panel: one WebviewPanel per experiment dir, fed from the dir
 * (journal tailed, or a Ray Tune result dir) through the DashboardModel. The
 * webview says `ready`, gets a snapshot, then deltas at most 4 times a second
 * while it is visible; a hidden webview is dropped by VS Code and gets a fresh
 * snapshot when shown again. A serializer reopens panels after a window reload.
 */
import * as vscode from "vscode";
import { basename } from "node:path";
import {
  ApplyConfigRequest, CopyTextRequest, type DashboardViewState, DeltaNotification, ErrorNotification, type IpcRequest, isNotification, isRequest,
  notification, ReadyNotification, RefineRequest, RenderedNotification, type RenderedParams, RevealTrialNotification, SelectTrialNotification, SnapshotNotification, type WireMessage,
} from "../../shared/dashboard-protocol.ts";
import { DashboardModel } from "../data/dashboard-model.ts";
import { openExperimentSource, type ExperimentSource } from "../data/experiment-reader.ts";
import { dashboardHtml, makeNonce } from "./dashboard-html.ts";
import { applyConfig, refineAroundBest, registerProposalProvider } from "./dashboard-actions.ts";

export const DASHBOARD_VIEW_TYPE = "tunelab.dashboard";
/** ≤ 4 updates per second. */
const UPDATE_INTERVAL_MS = 250;

const panels = new Map<string, DashboardPanel>();
const selection = new vscode.EventEmitter<{ expDir: string; trialId: string | undefined }>();
/** Fires when the user selects a trial in a dashboard (the tree can reveal it). */
export const onDidSelectTrial = selection.event;

/** Opens (or reveals) the dashboard of `expDir`, selecting `trialId` when given. */
export async function openDashboard(context: vscode.ExtensionContext, expDir: string, trialId?: string): Promise<void> {
  let d = panels.get(expDir);
  if (!d) {
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, `Tunelab: ${basename(expDir)}`, vscode.ViewColumn.Active, webviewOptions(context));
    d = new DashboardPanel(context, panel, expDir);
  }
  d.panel.reveal();
  if (trialId !== undefined) d.reveal(trialId);
  await Promise.resolve();
}

/** Call once from activate(): restores dashboards after a window reload. */
export function registerDashboardSerializer(context: vscode.ExtensionContext): vscode.Disposable {
  // For the extension-host tests: what the webview of `expDir` has been sent (it is not in the palette).
  const testState = vscode.commands.registerCommand("tunelab._dashboardState", (expDir: string): DashboardTestState | undefined => {
    const d = panels.get(expDir);
    return d && { ...d.sent };
  });
  return vscode.Disposable.from(testState, vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
    deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
      const expDir = (state as DashboardViewState | undefined)?.expDir;
      if (!expDir) {
        panel.dispose();
        return;
      }
      panel.webview.options = webviewOptions(context);
      new DashboardPanel(context, panel, expDir);
      await Promise.resolve();
    },
  }));
}

/**
 * What `tunelab._dashboardState` answers: how often the webview's script said ready, the last
 * snapshot's size, and what the page said it drew of its first snapshot.
 */
export interface DashboardTestState { readies: number; trials: number; points: number; rendered?: RenderedParams }

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  // Only the bundle may load: nothing else of the extension, the workspace or the experiment dir.
  return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, "dist", "webview")] };
}

class DashboardPanel {
  private readonly disposables: vscode.Disposable[] = [];
  private source: ExperimentSource | undefined;
  private model: DashboardModel | undefined;
  private ready = false;
  private pendingReveal: string | undefined;
  readonly sent: DashboardTestState = { readies: 0, trials: 0, points: 0 };
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(context: vscode.ExtensionContext, readonly panel: vscode.WebviewPanel, readonly expDir: string) {
    panels.set(expDir, this);
    // Lives as long as the extension: proposals may outlive one panel.
    context.subscriptions.push(registerProposalProvider());
    const webview = panel.webview;
    const bundle = vscode.Uri.joinPath(context.extensionUri, "dist", "webview");
    webview.html = dashboardHtml({
      cspSource: webview.cspSource, nonce: makeNonce(), title: `Tunelab: ${basename(expDir)}`,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(bundle, "main.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(bundle, "main.css")).toString(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false; // VS Code drops the hidden page; it says ready again when shown
      }),
      panel.onDidDispose(() => this.dispose()),
    );
    this.timer = setInterval(() => this.tick(), UPDATE_INTERVAL_MS);
  }

  reveal(trialId: string): void {
    if (this.ready) void this.post(notification(RevealTrialNotification, { id: trialId }));
    else this.pendingReveal = trialId;
  }

  private load(): DashboardModel {
    if (!this.model || !this.source) {
      this.source = openExperimentSource(this.expDir);
      const events = this.source.poll();
      this.model = new DashboardModel(this.source.meta());
      this.model.apply(events);
    }
    return this.model;
  }

  private tick(): void {
    if (!this.model || !this.source) return;
    try {
      const events = this.source.poll();
      if (this.source.metaChanged()) this.model.setMeta(this.source.meta());
      this.model.apply(events);
      if (!this.ready) return; // the next ready gets a snapshot holding all of it
      const delta = this.model.takeDelta();
      if (delta) void this.post(notification(DeltaNotification, delta));
    } catch (error) {
      void this.post(notification(ErrorNotification, { message: `${this.expDir}: ${(error as Error).message}` }));
    }
  }

  private post(message: WireMessage): Thenable<boolean> {
    return this.panel.webview.postMessage(message);
  }

  private receive(msg: unknown): void {
    if (isNotification(msg, ReadyNotification)) {
      try {
        const snapshot = this.load().snapshot();
        this.ready = true;
        Object.assign(this.sent, { readies: this.sent.readies + 1, trials: snapshot.trials.length, points: snapshot.packed?.iteration.length ?? 0 });
        void this.post(notification(SnapshotNotification, snapshot));
        if (this.pendingReveal !== undefined) {
          void this.post(notification(RevealTrialNotification, { id: this.pendingReveal }));
          this.pendingReveal = undefined;
        }
      } catch (error) {
        void this.post(notification(ErrorNotification, { message: (error as Error).message }));
      }
    } else if (isNotification(msg, RenderedNotification)) {
      this.sent.rendered = msg.params;
    } else if (isNotification(msg, SelectTrialNotification)) {
      selection.fire({ expDir: this.expDir, trialId: msg.params.id });
    } else if (isRequest(msg, CopyTextRequest)) {
      this.answer(msg, CopyTextRequest, async () => {
        await vscode.env.clipboard.writeText(msg.params.text);
        return { ok: true, message: "Copied the config as JSON." };
      });
    } else if (isRequest(msg, ApplyConfigRequest)) {
      this.answer(msg, ApplyConfigRequest, () => applyConfig(this.expDir, this.load(), msg.params.trialId, msg.params.target));
    } else if (isRequest(msg, RefineRequest)) {
      this.answer(msg, RefineRequest, () => refineAroundBest(this.expDir, this.load(), msg.params.topK, msg.params.widen));
    }
  }

  private answer<P, R>(msg: { id: number }, _handle: IpcRequest<P, R>, run: () => Promise<R>): void {
    run().then(
      (result) => this.post({ kind: "response", id: msg.id, result }),
      (error: unknown) => this.post({ kind: "response", id: msg.id, error: error instanceof Error ? error.message : String(error) }),
    );
  }

  private dispose(): void {
    clearInterval(this.timer);
    panels.delete(this.expDir);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
