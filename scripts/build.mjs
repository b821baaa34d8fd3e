// Bundles each runtime with esbuild: the runner/CLI (ESM, Node). Later runtimes (extension host,
// language server, webview) add their entries here.
import { build } from "esbuild";

const common = { bundle: true, platform: "node", target: "node20", sourcemap: "linked", logLevel: "warning" };

await build({
  ...common,
  entryPoints: { cli: "src/engine/cli.ts" },
  outdir: "dist",
  format: "esm",
  outExtension: { ".js": ".mjs" },
  // esbuild itself is needed at run time to load tune.config.ts; it ships a native binary.
  external: ["esbuild"],
  banner: { js: "import { createRequire as __tlCreateRequire } from 'node:module'; const require = __tlCreateRequire(import.meta.url);" },
});
