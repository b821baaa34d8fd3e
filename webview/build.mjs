// The dashboard webview's esbuild options: one IIFE bundle for the browser (chart.js tree-shaken to
// the registered parts, @vscode-elements/elements included) plus its CSS, into dist/webview/.
// scripts/build.mjs builds it with the other runtimes; tests and the bench build it too.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

export const webviewBuildOptions = {
  absWorkingDir: root,
  entryPoints: { main: "webview/src/main.ts" },
  outdir: "dist/webview",
  bundle: true,
  format: "iife",
  platform: "browser",
  target: "chrome120",
  minify: true,
  sourcemap: "linked",
  logLevel: "warning",
  legalComments: "none",
};

export function buildWebview(overrides = {}) {
  return build({ ...webviewBuildOptions, ...overrides });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildWebview();
