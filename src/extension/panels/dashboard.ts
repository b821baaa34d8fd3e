/**
 * PLACEHOLDER until the dashboard issue replaces this file: a webview that
 * names the experiment (and trial). Keep the signature: the extension host
 * calls `openDashboard(context, expDir, trialId?)` from the Open Dashboard,
 * Reveal in Dashboard and status bar commands.
 */
import * as vscode from "vscode";
import { basename } from "node:path";

let panel: vscode.WebviewPanel | undefined;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function openDashboard(_context: vscode.ExtensionContext, expDir: string, trialId?: string): Promise<void> {
  panel ??= vscode.window.createWebviewPanel("tunelab.dashboard", "Tunelab Dashboard", vscode.ViewColumn.Active, { enableScripts: false });
  panel.onDidDispose(() => (panel = undefined));
  panel.title = `Tunelab: ${basename(expDir)}`;
  panel.webview.html = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${panel.webview.cspSource};"></head>
<body><h2>${escapeHtml(basename(expDir))}</h2><p>${escapeHtml(expDir)}</p>${trialId ? `<p>trial ${escapeHtml(trialId)}</p>` : ""}</body></html>`;
  panel.reveal();
}
