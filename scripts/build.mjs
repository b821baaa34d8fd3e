// Bundles each runtime with esbuild: the runner/CLI (ESM, Node) and the VS Code extension host (CJS).
// Later runtimes (language server, webview) add their entries here.
import { build } from "esbuild";

const common = { bundle: true, platform: "node", target: "node20", sourcemap: "linked", logLevel: "warning" };

await build({
  ...common,
  // config-hooks.mjs runs on Node's module-hooks thread, so it is its own file next to cli.mjs.
  entryPoints: { cli: "src/engine/cli.ts", "config-hooks": "src/engine/config-hooks.mjs" },
  outdir: "dist",
  format: "esm",
  outExtension: { ".js": ".mjs" },
  banner: { js: "import { createRequire as __tlCreateRequire } from 'node:module'; const require = __tlCreateRequire(import.meta.url);" },
});

// The extension host loads CommonJS; `vscode` is provided by the host. The banner and footer stamp module
// evaluation, so the measured activation cost includes loading the bundle (not the host's own work between).
await build({
  ...common,
  entryPoints: { extension: "src/extension/extension.ts" },
  outdir: "dist",
  format: "cjs",
  outExtension: { ".js": ".cjs" },
  external: ["vscode"],
  banner: { js: "globalThis.__tunelabLoadStart = performance.now();" },
  footer: { js: "globalThis.__tunelabLoadEnd = performance.now();" },
});

// The language server (stdio/IPC), started by the extension's language client. typescript is bundled
// (the server parses tune.config.ts with its compiler API), so it stays a devDependency.
await build({
  ...common,
  entryPoints: { server: "src/server/main.ts" },
  outdir: "dist",
  format: "cjs",
  // Minified: the bundled TypeScript compiler is most of it, and it ships in the VSIX.
  minify: true,
  outExtension: { ".js": ".cjs" },
});

// The dashboard webview (browser IIFE + CSS into dist/webview/); its options live in webview/build.mjs.
const { buildWebview } = await import("../webview/build.mjs");
await buildWebview();
