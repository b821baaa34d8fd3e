// Runs Tunelab's mocha suite (test/extension/host) INSIDE code-server's extension host (the real
// `vscode` API), the way @vscode/test-electron does it for desktop VS Code, and exits with its code.
//   node scripts/code-server/run-ext-tests.mjs      (after `npm run build`)
// Adapted from ../shared/recipes/code-server/example/run-ext-tests.mjs.
// The workbench is opened with the payload extensionDevelopmentPath + extensionTestsPath;
// when run() settles, the workbench calls window.codeAutomationExit(code), which we expose.
import fs from 'node:fs';
import { startCodeServer, launchBrowser, workbenchUrl, memoryReport, LOG_PROBLEMS } from './cs-harness.mjs';
import { demoWorkspace, repoRoot } from './workspace.mjs';
import { buildHostTests } from './build-host-tests.mjs';

const here = repoRoot;
const testsPath = await buildHostTests();
const TIMEOUT_MS = Number(process.env.EXT_TESTS_TIMEOUT_MS || 120000);

const t0 = Date.now();
const mark = (what) => console.log(`[ext-tests] ${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
let server, browser, ws, code = 1;

const cleanup = async () => {
  try { if (browser) await browser.close(); } catch { /* already gone */ }
  try { if (server) await server.stop(); } catch { /* already gone */ }
  if (code === 0) for (const d of [server && server.dirs.root, ws]) if (d) fs.rmSync(d, { recursive: true, force: true });
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, async () => { code = 130; await cleanup(); process.exit(130); });

try {
  ws = demoWorkspace({ samples: 2, epochs: 2, prefix: 'tl-ext-ws-' });
  // Environment given to code-server reaches the extension host (and so the tests).
  server = await startCodeServer({ folder: ws });
  mark(`code-server pid ${server.pid} on ${server.origin}, log ${server.log}`);
  browser = await launchBrowser({ tmpDir: server.dirs.tmp });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });

  let resolveExit;
  const exited = new Promise((r) => { resolveExit = r; });
  await page.exposeFunction('codeAutomationExit', (c) => resolveExit(Number(c)));
  // The extension host's console (mocha's reporter) is forwarded to the page console as
  // console.log('%c[Extension Host] %c<format>', 'color: blue', 'color: ', ...args).
  let printed = Promise.resolve();
  const counts = { passing: 0, failing: 0, pending: 0 };
  page.on('console', (m) => {
    if (!m.text().startsWith('%c[Extension Host]')) return;
    printed = printed.then(async () => {
      const [fmt, ...rest] = await Promise.all(m.args().map((a) => a.jsonValue().catch(() => '?')));
      let i = 0;
      const line = String(fmt).replace(/%([csdifoO%])/g, (_, k) => (k === '%' ? '%' : k === 'c' ? (i++, '') : String(rest[i++])));
      const text = [line.replace(/^\[Extension Host\] ?%?/, ''), ...rest.slice(i).map(String)].join(' ').trimEnd();
      const n = /^\s*(\d+) (passing|failing|pending)\b/.exec(text);
      if (n) counts[n[2]] = Number(n[1]);
      console.log(text);
    });
  });

  await page.goto(workbenchUrl({ origin: server.origin, folder: ws, extensionDevelopmentPath: here, extensionTestsPath: testsPath }));
  mark('workbench loading; tests start when the extension host is up');
  // Fail fast when the extension cannot load at all (engines.vscode newer than 1.100.3, say):
  // then run() is never called and codeAutomationExit never comes.
  let timer, poll;
  const incompatible = new Promise((r) => {
    poll = setInterval(() => { const l = server.logLines(/not compatible with Code/); if (l.length) r(`incompatible: ${l[0]}`); }, 500);
  });
  code = await Promise.race([exited, incompatible, new Promise((r) => { timer = setTimeout(() => r('timeout'), TIMEOUT_MS); })]);
  clearTimeout(timer); clearInterval(poll);
  if (typeof code === 'string' && code.startsWith('incompatible')) { console.error(`[ext-tests] FAIL: ${code}`); code = 1; }
  await printed;
  if (code === 'timeout') {
    console.error(`[ext-tests] FAIL: no codeAutomationExit within ${TIMEOUT_MS} ms; log ${server.log}`);
    for (const l of server.logLines(LOG_PROBLEMS).slice(-10)) console.error(`[ext-tests] code-server log: ${l}`);
    code = 1;
  }
  if (!Number.isInteger(code)) code = 1;
  mark(`extension tests exited with ${code}; memory: ${memoryReport(server.pid)}`);
  if (code !== 0 && counts.failing === 0) counts.failing = 1; // e.g. run() threw before mocha ran
  console.log(`${counts.passing} passed, ${counts.failing} failed${counts.pending ? `, ${counts.pending} skipped` : ''}`);
} catch (e) {
  console.error(`[ext-tests] FAIL: ${e.stack || e}`);
  console.log('0 passed, 1 failed');
  code = 1;
}
await cleanup();
process.exit(code);
