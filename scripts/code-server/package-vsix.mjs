// Packages the extension as a VSIX with @vscode/vsce 3.x and checks that it holds only what runs
// and stays under 5 MB:   npm run package   (after `npm run build`)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './workspace.mjs';

const MAX_BYTES = 5 * 1024 * 1024;
const out = path.join(repoRoot, 'dist', 'tunelab.vsix');
fs.rmSync(out, { force: true });
// --no-dependencies: everything that runs is bundled into dist/ (no native binaries: one VSIX for every platform).
execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--no-dependencies',
  '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '-o', out], { cwd: repoRoot, stdio: 'inherit' });
const size = fs.statSync(out).size;
const listing = execFileSync('unzip', ['-Z1', out], { encoding: 'utf8' }).trim().split('\n');
const files = listing.filter((f) => f.startsWith('extension/')).map((f) => f.slice('extension/'.length));
const allowed = /^(package\.json|readme\.md|README\.md|LICENSE.*|dist\/(extension\.cjs|cli\.mjs|config-hooks\.mjs|server\.cjs|webview\/.*)|python\/tunelab\/.*|syntaxes\/.*|media\/.*)$/;
const stray = files.filter((f) => !f.endsWith('/') && !allowed.test(f));
for (const need of ['dist/extension.cjs', 'dist/cli.mjs', 'dist/config-hooks.mjs', 'package.json', 'syntaxes/tunelab-log.tmLanguage.json', 'python/tunelab/__init__.py']) {
  if (!files.includes(need)) { console.error(`[package] FAIL: the VSIX lacks ${need}`); process.exit(1); }
}
console.log(`[package] ${out}: ${(size / 1024 / 1024).toFixed(2)} MB, ${files.length} files`);
if (stray.length) { console.error(`[package] FAIL: files that do not run: ${stray.slice(0, 20).join(', ')}`); process.exit(1); }
if (size > MAX_BYTES) { console.error(`[package] FAIL: ${size} bytes > 5 MB`); process.exit(1); }
console.log('[package] OK: only what runs, under 5 MB');
