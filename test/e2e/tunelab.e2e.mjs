// End-to-end UI test of Tunelab in a real VS Code (code-server 1.100.3) driven by Debian's chromium
// through playwright-core:
//   node test/e2e/tunelab.e2e.mjs [--keep]       (after `npm run build`)
// 1. Run Tuning from the palette on a shortened digits demo; the Trials tree fills live; a trial
//    expands to its checkpoints and a checkpoint file opens (read-only); Stop Trial from the row's
//    inline action stops it; the status bar shows the experiment; Stop Experiment ends the run.
// 2. In an untrusted workspace Run Tuning refuses to run, with a message, and nothing starts.
// Failure screenshots and the code-server log are kept in test-results/.
import fs from 'node:fs';
import path from 'node:path';
import { startCodeServer, launchBrowser, workbenchUrl, memoryReport, LOG_PROBLEMS } from '../../scripts/code-server/cs-harness.mjs';
import { demoWorkspace, repoRoot } from '../../scripts/code-server/workspace.mjs';

const keep = process.argv.includes('--keep');
const results = path.join(repoRoot, 'test-results');
const TIMEOUT = 30000;
const t0 = Date.now();
const mark = (what) => console.log(`[e2e] ${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
const live = new Set(); // { server, browser, ws } of each scenario, for cleanup
let passed = 0, failed = 0;

async function cleanup(s, ok) {
  try { if (s.browser) await s.browser.close(); } catch { /* already gone */ }
  // The runner is detached on purpose (it survives the window): end it and its trials by process group.
  for (const pid of s.runnerPids ?? []) { try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ } }
  try { if (s.server) await s.server.stop(); } catch { /* already gone */ }
  if (ok && !keep) for (const d of [s.server && s.server.dirs.root, s.ws]) if (d) fs.rmSync(d, { recursive: true, force: true });
  live.delete(s);
}
const watchdog = setTimeout(async () => {
  console.error('[e2e] FAIL: watchdog (300 s)');
  for (const s of live) await cleanup(s, false);
  process.exit(1);
}, 300000);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, async () => { for (const s of live) await cleanup(s, false); process.exit(130); });

/** Opens a workbench on `ws` with Tunelab as the development extension and waits for its activity-bar entry. */
async function open(s, { trust = false } = {}) {
  // Trials by start time: best-first reorders rows while results arrive, which would move the rows under the mouse.
  s.server = await startCodeServer({ folder: s.ws, trust, settings: { 'tunelab.trialOrder': 'started' } });
  mark(`code-server pid ${s.server.pid} on ${s.server.origin}, log ${s.server.log}`);
  s.browser = await launchBrowser({ tmpDir: s.server.dirs.tmp });
  const page = (s.page = await s.browser.newPage({ viewport: { width: 1400, height: 900 } }));
  await page.goto(workbenchUrl({ origin: s.server.origin, folder: s.ws, extensionDevelopmentPath: repoRoot }));
  await page.locator('.monaco-workbench').waitFor({ timeout: TIMEOUT });
  if (trust) {
    // The trust prompt: answer "No" to stay in Restricted Mode.
    await page.getByRole('button', { name: /No, I don.t trust the authors/ }).click({ timeout: TIMEOUT });
  }
  await page.getByRole('treeitem', { name: 'README.md' }).waitFor({ timeout: TIMEOUT });
  for (const deadline = Date.now() + TIMEOUT; ;) {
    if (await page.locator('.activitybar a.action-label[aria-label="Tunelab"]').isVisible()) break;
    const refused = s.server.logLines(/not compatible with Code/);
    if (refused.length) throw new Error(refused[0]);
    if (Date.now() > deadline) throw new Error('the Tunelab view container never appeared in the activity bar');
    await page.waitForTimeout(200);
  }
  mark('workbench ready, Tunelab contributed');
  return page;
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: TIMEOUT });
  await input.fill(`>${title}`);
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  await page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first().click({ timeout: TIMEOUT });
  await input.waitFor({ state: 'hidden', timeout: TIMEOUT });
}

/** Clicks `target` until `done` shows: rows re-render with each coalesced update and can swallow a click. */
async function clickUntil(target, done, attempts = 10) {
  for (let i = 1; ; i++) {
    try {
      await target.click({ timeout: 2000 });
      await done.waitFor({ timeout: 3000 });
      return;
    } catch (e) {
      if (i >= attempts) throw e;
    }
  }
}

const toast = (page, text) => page.locator('.notifications-toasts .notification-toast', { hasText: text });

async function scenario(name, body) {
  const s = { ws: undefined, runnerPids: [] };
  live.add(s);
  let ok = false;
  try {
    await body(s);
    ok = true;
    passed++;
    mark(`PASS ${name}`);
  } catch (e) {
    failed++;
    console.error(`[e2e] FAIL ${name}: ${e.stack || e}`);
    fs.mkdirSync(results, { recursive: true });
    const shot = path.join(results, `${name.replace(/\W+/g, '-')}-failure.png`);
    if (s.page) await s.page.screenshot({ path: shot }).catch(() => {});
    if (s.server) {
      fs.copyFileSync(s.server.log, path.join(results, `${name.replace(/\W+/g, '-')}-code-server.log`));
      for (const l of s.server.logLines(LOG_PROBLEMS).slice(-10)) console.error(`[e2e] code-server log: ${l}`);
    }
    console.error(`[e2e] failure screenshot ${shot}; workspace ${s.ws}`);
  }
  if (s.server && ok) console.log(`[e2e] memory: ${memoryReport(s.server.pid)}`);
  await cleanup(s, ok);
}

await scenario('run tuning, browse, stop', async (s) => {
  // Long trials (~0.3 s per epoch) so both still run when the test stops them; no checkpoint is
  // removed by retention while the test opens it.
  s.ws = demoWorkspace({ samples: 2, epochs: 400, concurrency: 2, keep: 1000, prefix: 'tl-e2e-ws-' });
  const page = await open(s);
  await runCommand(page, 'Tunelab: Run Tuning');
  await toast(page, 'Tunelab: running digits').waitFor({ timeout: 60000 });
  const meta = JSON.parse(fs.readFileSync(path.join(s.ws, '.tunelab', fs.readdirSync(path.join(s.ws, '.tunelab')).find((n) => n.startsWith('digits-')), 'experiment.json'), 'utf8'));
  if (meta.runnerPid) s.runnerPids.push(meta.runnerPid);
  mark('Run Tuning started the runner');

  await page.locator('.activitybar a.action-label[aria-label="Tunelab"]').click();
  const tree = page.getByRole('tree', { name: 'Trials' });
  const running = tree.getByRole('treeitem', { name: /^trial \w+_00000 running/ });
  await running.waitFor({ timeout: TIMEOUT });
  await tree.getByRole('treeitem', { name: /^trial \w+_00001 / }).waitFor({ timeout: TIMEOUT });
  // A result arrives live: the row's description gains the metric.
  await tree.getByRole('treeitem', { name: /^trial \w+_00000 running · val_acc=/ }).waitFor({ timeout: TIMEOUT });
  mark('the tree shows both trials, live');

  const statusItem = page.locator('.statusbar-item', { hasText: /digits \d+\/2/ });
  await statusItem.waitFor({ timeout: TIMEOUT });
  const statusText = (await statusItem.innerText()).trim();
  if (!/^digits \d+\/2( · val_acc [\d.]+)?$/.test(statusText)) throw new Error(`status bar says "${statusText}"`);
  mark(`status bar: "${statusText}"`);

  // Expand trial 1 to its checkpoints, a checkpoint to its files, and open one.
  const second = tree.getByRole('treeitem', { name: /^trial \w+_00001 running · val_acc=/ });
  await second.waitFor({ timeout: TIMEOUT });
  const checkpoint = tree.getByRole('treeitem', { name: /^checkpoint 1 score / });
  await clickUntil(second.locator('.monaco-tl-twistie'), checkpoint);
  const file = tree.getByRole('treeitem', { name: 'file model.json' }).first();
  await clickUntil(checkpoint.locator('.monaco-tl-twistie'), file);
  await clickUntil(file, page.locator('.tabs-container .tab', { hasText: 'model.json' }));
  await page.locator('.monaco-editor .view-lines', { hasText: '"epoch"' }).first().waitFor({ timeout: TIMEOUT });
  // Typing into a read-only editor shows VS Code's "Cannot edit in read-only editor".
  await page.locator('.monaco-editor .view-lines').first().click();
  await page.keyboard.type('x');
  await page.locator('.monaco-editor-overlaymessage', { hasText: /read-only/i }).waitFor({ timeout: TIMEOUT });
  mark('checkpoint file opened read-only');
  // Collapse trial 1 again so trial 0's row is in view (the list is virtual: off-screen rows are not in the DOM).
  await tree.getByRole('treeitem', { name: /^trial \w+_00001 / }).locator('.monaco-tl-twistie').click();

  // Stop trial 0 from its inline action (shown on hover).
  // The row re-renders with each coalesced update (a few times a second), which can detach the
  // button mid-click: select the row (its actions then show without hover) and retry the click.
  const row0 = tree.getByRole('treeitem', { name: /^trial \w+_00000 running/ });
  for (let attempt = 1; ; attempt++) {
    try {
      await row0.click({ timeout: 2000 });
      await row0.locator('.action-label[aria-label="Stop Trial"]').click({ timeout: 2000 });
      break;
    } catch (e) {
      await page.keyboard.press('Escape'); // a click that reached no row opens the trial picker
      if (attempt >= 10) throw e;
    }
  }
  // When a re-render swallowed the row under the click, the command ran without its row and asks
  // "Which trial?" (its own fallback): answer it with trial 0, which is still Stop Trial end to end.
  const picker = page.locator('.quick-input-widget input[placeholder="Which trial?"]');
  if (await picker.waitFor({ state: 'visible', timeout: 1500 }).then(() => true, () => false)) {
    await picker.fill('_00000');
    await page.keyboard.press('Enter');
  }
  await tree.getByRole('treeitem', { name: /^trial \w+_00000 (terminated|error)/ }).waitFor({ timeout: TIMEOUT });
  mark('trial 0 stopped from its inline action');

  await runCommand(page, 'Tunelab: Stop Experiment');
  await tree.getByRole('treeitem', { name: /^digits (finished|interrupted) · / }).waitFor({ timeout: 60000 });
  mark('experiment stopped');
});

await scenario('untrusted workspace refuses to run', async (s) => {
  s.ws = demoWorkspace({ samples: 1, epochs: 1, prefix: 'tl-e2e-untrusted-' });
  const page = await open(s, { trust: true });
  await page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).waitFor({ timeout: TIMEOUT });
  await runCommand(page, 'Tunelab: Run Tuning');
  await toast(page, 'Run Tuning is disabled in Restricted Mode').waitFor({ timeout: TIMEOUT });
  if (fs.existsSync(path.join(s.ws, '.tunelab'))) throw new Error('an untrusted workspace started a run');
  // Browsing still works: the view and its welcome content are there.
  await page.locator('.activitybar a.action-label[aria-label="Tunelab"]').click();
  await page.getByRole('button', { name: /Run Tuning/ }).first().waitFor({ timeout: TIMEOUT });
  mark('Run Tuning refused in Restricted Mode');
});

clearTimeout(watchdog);
mark(failed ? 'FAILED' : 'PASSED');
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
