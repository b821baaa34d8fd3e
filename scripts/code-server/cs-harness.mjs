// Shared by e2e.mjs and run-ext-tests.mjs: start code-server on a free loopback port with
// throwaway HOME / user-data / extensions dirs, open Debian's chromium with playwright-core,
// and stop everything again by pid.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export function findCodeServer() {
  const dir = process.env.TUNELAB_CODE_SERVER_DIR || path.join(os.homedir(), '.cache', 'tunelab-code-server');
  const bin = process.env.CODE_SERVER_BIN || path.join(dir, 'node_modules', '.bin', 'code-server');
  if (!fs.existsSync(bin)) {
    throw new Error(`code-server not found at ${bin}: run install-code-server.sh (or set CODE_SERVER_BIN)`);
  }
  return bin;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function alive(pid) { // is anything left in process group `pid`?
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

function kbOf(pid, rssKb) { // PSS (shared pages split between their sharers), else RSS
  try { return Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))[1]); } catch { return rssKb || 0; }
}

/** Memory (MiB, PSS) of `pid` plus all its descendants. */
export function treeMemMiB(pid) {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim().split('\n').map((l) => l.trim().split(/\s+/).map(Number));
  const kids = new Map();
  for (const [p, pp] of rows) { if (!kids.has(pp)) kids.set(pp, []); kids.get(pp).push(p); }
  const rss = new Map(rows.map(([p, , r]) => [p, r]));
  let total = 0; const stack = [pid];
  while (stack.length) { const p = stack.pop(); total += kbOf(p, rss.get(p)); stack.push(...(kids.get(p) || [])); }
  return Math.round(total / 1024);
}

/** "code-server tree N MiB, chromium tree N MiB, runner N MiB" (chromium: the rest of our process tree). */
export function memoryReport(codeServerPid) {
  const all = treeMemMiB(process.pid);
  const cs = treeMemMiB(codeServerPid);
  const self = Math.round(kbOf(process.pid) / 1024);
  return `code-server tree ${cs} MiB, chromium tree ${all - cs - self} MiB, runner ${self} MiB (PSS)`;
}

/**
 * Start code-server. Returns { port, origin, pid, dirs, log, logLines(re), stop() }.
 * opts.folder: workspace folder; opts.extensionsDir: use this extensions dir (default: a temp one);
 * opts.trust: keep workspace trust on (default off); opts.settings: extra user settings.
 */
export async function startCodeServer(opts = {}) {
  const bin = findCodeServer();
  const port = await freePort();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cs-e2e-'));
  const dirs = {
    root,
    home: path.join(root, 'home'),
    userData: path.join(root, 'user-data'),
    extensions: opts.extensionsDir || path.join(root, 'extensions'),
    // TMPDIR: the server's IPC sockets (vscode-ipc-*.sock, vscode-git-*.sock) and
    // vscode-typescript* would otherwise pile up in /tmp, one set per run.
    tmp: path.join(root, 'tmp'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify({
    'remote.autoForwardPorts': false,
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'git.enabled': false,
    ...opts.settings,
  }, null, 2));
  const log = path.join(root, 'code-server.log');
  const args = [
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    ...(opts.trust ? [] : ['--disable-workspace-trust']),
    ...(opts.args || []),
    opts.folder || root,
  ];
  const out = fs.openSync(log, 'a');
  // detached: code-server leads its own process group, so stop() can end the whole
  // group (server, extension host, file watcher, pty host) by that one pid.
  const child = spawn(bin, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      HOME: dirs.home,
      XDG_CONFIG_HOME: path.join(dirs.home, '.config'),
      XDG_DATA_HOME: path.join(dirs.home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(dirs.home, '.cache'),
      TMPDIR: dirs.tmp,
      ...opts.env,
    },
  });
  fs.closeSync(out);
  const pid = child.pid;
  let exited = null;
  child.on('exit', (code, sig) => { exited = { code, sig }; });

  const stop = async () => {
    if (!alive(pid)) return;
    try { process.kill(-pid, 'SIGTERM'); } catch { /* already gone */ }
    for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
    if (alive(pid)) { try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ } }
    for (let i = 0; i < 20 && alive(pid); i++) await sleep(100);
  };

  const origin = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)}); log: ${log}\n${fs.readFileSync(log, 'utf8').slice(-2000)}`);
    try { if ((await fetch(`${origin}/healthz`)).ok) break; } catch { /* already gone */ }
    if (Date.now() - t0 > 30000) { await stop(); throw new Error(`code-server did not listen within 30 s; log: ${log}`); }
    await sleep(100);
  }
  // Lines of code-server's log that match `re` (e.g. "Extension is not compatible with Code 1.100.3").
  const logLines = (re) => fs.readFileSync(log, 'utf8').split('\n').filter((l) => re.test(l));
  return { port, origin, pid, dirs, log, logLines, stop, listenMs: Date.now() - t0 };
}

/** Log lines that explain why an extension did not load or run. */
export const LOG_PROBLEMS = /not compatible|Cannot find module|Activating extension .* failed|\[error\]/i;

/** Workbench URL; pass extensionDevelopmentPath / extensionTestsPath (absolute local paths) to load a dev extension. */
export function workbenchUrl({ origin, folder, extensionDevelopmentPath, extensionTestsPath }) {
  const u = new URL(origin);
  if (folder) u.searchParams.set('folder', folder);
  const remote = (p) => `vscode-remote://${u.host}${p}`;
  const payload = [];
  if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(extensionDevelopmentPath)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  if (payload.length) { payload.push(['debugId', 'e2e']); u.searchParams.set('payload', JSON.stringify(payload)); }
  return u.toString();
}

/** opts.tmpDir: chromium's TMPDIR (it keeps shared-memory files there when killed hard). */
export async function launchBrowser(opts = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || '/usr/bin/chromium',
    ...(opts.tmpDir ? { env: { ...process.env, TMPDIR: opts.tmpDir } } : {}),
    // root needs --no-sandbox; the rest keep chromium off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
