/**
 * The dashboard page: a strict nonce CSP (no unsafe-inline, no unsafe-eval,
 * nothing remote), one stylesheet and one script from the bundle. Pure, so the
 * standalone test page is rendered by the very same function.
 */
import { randomBytes } from "node:crypto";

export interface DashboardHtmlOptions {
  /** `webview.cspSource`: where the bundle may load from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
  title: string;
  /** Scripts that run before the bundle (the tests' fake host); each gets the nonce. */
  preScriptUris?: string[];
}

export function makeNonce(): string {
  return randomBytes(18).toString("base64url");
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
}

export function dashboardHtml(o: DashboardHtmlOptions): string {
  const nonce = escapeHtml(o.nonce);
  const scripts = [...(o.preScriptUris ?? []), o.scriptUri].map((src) => `<script nonce="${nonce}" src="${escapeHtml(src)}"></script>`).join("\n    ");
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeHtml(contentSecurityPolicy(o.cspSource, o.nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <link rel="stylesheet" href="${escapeHtml(o.styleUri)}">
    <title>${escapeHtml(o.title)}</title>
  </head>
  <body>
    <div id="root"></div>
    ${scripts}
  </body>
</html>
`;
}
