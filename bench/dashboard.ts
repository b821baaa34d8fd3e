/**
 * Dashboard bench in Chromium: a synthetic experiment of 10,000 trials × 100
 * points, its snapshot built in Node by the real DashboardModel (as the
 * extension host would) and posted to the standalone page on `ready`, then live
 * deltas of 100 new results made the same way and posted one at a time. Prints first paint, main-thread work per
 * delta (performance measures and CDP TaskDuration) and JS heap, checks them
 * against the targets, and writes bench/results/dashboard.json.
 * Usage: node --import tsx bench/dashboard.ts [--trials N] [--points N] [--deltas N]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { launchChromium, startHarness } from "../test/webview/harness/serve.ts";

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const trials = arg("trials", 10_000);
const points = arg("points", 100);
const deltas = arg("deltas", 20);

const harness = await startHarness();
const buildStart = performance.now();
const served = harness.serve({ trials, points, running: true });
const generateMs = performance.now() - buildStart;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const metrics = async (): Promise<Record<string, number>> =>
    Object.fromEntries(((await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] }).metrics.map((m) => [m.name, m.value]));
  await page.goto(harness.url(served.query));
  await page.waitForFunction(() => performance.getEntriesByName("tunelab:first-paint").length > 0, null, { timeout: 120_000 });
  // Page functions are strings: tsx would wrap named arrows in a helper the page does not have.
  const load = (await page.evaluate(`(() => {
    const at = (n) => performance.getEntriesByName(n)[0].startTime;
    return {
      pageSetupMs: window.__harness.generateMs,
      readyToFirstPaintMs: at("tunelab:first-paint") - at("tunelab:ready"),
      scriptStartToFirstPaintMs: at("tunelab:first-paint") - at("tunelab:script-start"),
      navigationToFirstPaintMs: at("tunelab:first-paint"),
    };
  })()`)) as { pageSetupMs: number; readyToFirstPaintMs: number; scriptStartToFirstPaintMs: number; navigationToFirstPaintMs: number };
  // Let the deferred views (parallel coordinates, scatter) draw once, then measure steady deltas.
  await page.waitForFunction(() => performance.getEntriesByName("tunelab:render-slow").length > 0, null, { timeout: 60_000 });
  const slowFirst = await page.evaluate(() => performance.getEntriesByName("tunelab:render-slow")[0]!.duration);
  await cdp.send("HeapProfiler.collectGarbage");
  const afterLoad = await metrics();
  const perDelta: { applyMs: number; renderMs: number; taskMs: number; hostMs: number }[] = [];
  for (let i = 0; i < deltas; i++) {
    const th = performance.now();
    const delta = served.pushResults(100);
    const hostMs = performance.now() - th;
    await page.evaluate((d) => {
      (window as unknown as { __delta: unknown }).__delta = d;
    }, delta);
    const before = await metrics();
    const r = (await page.evaluate(`(async () => {
      performance.clearMeasures("tunelab:delta-apply");
      performance.clearMeasures("tunelab:render");
      window.__harness.deliver(window.__delta);
      window.__delta = undefined;
      // The delta arrives as a message event, then the next frame renders it.
      await new Promise((resolve) => {
        const check = () => (performance.getEntriesByName("tunelab:render").length > 0 ? resolve() : requestAnimationFrame(check));
        requestAnimationFrame(check);
      });
      const sum = (n) => performance.getEntriesByName(n).reduce((a, e) => a + e.duration, 0);
      return { applyMs: sum("tunelab:delta-apply"), renderMs: sum("tunelab:render") };
    })()`)) as { applyMs: number; renderMs: number };
    const after = await metrics();
    perDelta.push({ ...r, hostMs, taskMs: (after.TaskDuration! - before.TaskDuration!) * 1000 });
  }
  const slow = await page.evaluate(() => performance.getEntriesByName("tunelab:render-slow").map((e) => e.duration));
  await cdp.send("HeapProfiler.collectGarbage");
  const end = await metrics();
  // JSHeapUsedSize leaves out typed arrays' backing stores (the curve points), so they are reported too.
  const usage = (await cdp.send("Runtime.getHeapUsage")) as { usedSize: number; backingStorageSize?: number };
  const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const max = (xs: number[]): number => Math.max(...xs);
  const webviewMs = perDelta.map((d) => d.applyMs + d.renderMs);
  const result = {
    trials, points, deltas,
    load: { hostModelAndSnapshotMs: generateMs, ...load },
    delta: {
      webviewMedianMs: median(webviewMs), webviewMaxMs: max(webviewMs),
      applyMedianMs: median(perDelta.map((d) => d.applyMs)), renderMedianMs: median(perDelta.map((d) => d.renderMs)),
      hostModelMedianMs: median(perDelta.map((d) => d.hostMs)),
      cdpTaskMedianMs: median(perDelta.map((d) => d.taskMs)),
    },
    slowViews: { firstDrawMs: slowFirst, laterDrawsMs: slow.slice(1) },
    memory: {
      jsHeapAfterLoadMB: afterLoad.JSHeapUsedSize! / 2 ** 20, jsHeapAfterDeltasMB: end.JSHeapUsedSize! / 2 ** 20,
      backingStoresMB: (usage.backingStorageSize ?? 0) / 2 ** 20, heapWithBackingStoresMB: (usage.usedSize + (usage.backingStorageSize ?? 0)) / 2 ** 20, nodes: end.Nodes,
    },
  };
  const checks = [
    ["first paint (snapshot → first frame) < 1000 ms", load.readyToFirstPaintMs < 1000],
    ["live delta of 100 results < 16 ms of webview main-thread work (median)", result.delta.webviewMedianMs < 16],
    ["JS heap (with typed-array backing stores) < 200 MB", result.memory.heapWithBackingStoresMB < 200],
  ] as const;
  console.log(JSON.stringify(result, null, 2));
  for (const [name, ok] of checks) console.log(`${ok ? "PASS" : "FAIL"}  ${name}`);
  mkdirSync("bench/results", { recursive: true });
  writeFileSync("bench/results/dashboard.json", JSON.stringify({ ...result, checks: Object.fromEntries(checks) }, null, 2) + "\n");
  process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
} finally {
  await browser.close();
  await harness.close();
}
