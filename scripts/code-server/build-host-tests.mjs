// Bundles the extension-host suite (test/extension/host) to CommonJS in dist/test/extension:
// index.cjs (the mocha entry for extensionTestsPath) and one *.host.cjs per suite file.
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './workspace.mjs';

export async function buildHostTests() {
  const src = path.join(repoRoot, 'test', 'extension', 'host');
  const out = path.join(repoRoot, 'dist', 'test', 'extension');
  fs.rmSync(out, { recursive: true, force: true });
  const entries = Object.fromEntries(fs.readdirSync(src).filter((f) => f === 'index.ts' || f.endsWith('.host.ts')).map((f) => [f.replace(/\.ts$/, ''), path.join(src, f)]));
  await build({
    entryPoints: entries, outdir: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    outExtension: { '.js': '.cjs' }, external: ['vscode', 'mocha'], sourcemap: 'inline', logLevel: 'warning',
  });
  return path.join(out, 'index.cjs');
}
