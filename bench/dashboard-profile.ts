/**
 * CPU profile of the dashboard under the bench's load: the first paint, or a
 * run of live deltas, summarised as self time per function (top 25) and
 * written to bench/results/dashboard-<phase>.cpuprofile for DevTools.
 * Usage: node --import tsx bench/dashboard-profile.ts [load|deltas] [--trials N] [--points N]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { launchChromium, startHarness } from "../test/webview/harness/serve.ts";

const phase = process.argv[2] === "deltas" ? "deltas" : "load";
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
// Unminified, so the profile names functions.
const harness = await startHarness({ minify: false });
const served = harness.serve({ trials: arg("trials", 10_000), points: arg("points", 100), running: true });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  if (phase === "load") await cdp.send("Profiler.start");
  await page.goto(harness.url(served.query));
  await page.waitForFunction(() => performance.getEntriesByName("tunelab:render-slow").length > 0, null, { timeout: 120_000 });
  if (phase === "deltas") {
    await cdp.send("Profiler.start");
    for (let i = 0; i < 20; i++) {
      const d = served.pushResults(100);
      await page.evaluate((delta) => {
        (window as unknown as { __harness: { deliver(x: unknown): void } }).__harness.deliver(delta);
        return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      }, d);
    }
  }
  const { profile } = (await cdp.send("Profiler.stop")) as { profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[]; samples: number[]; timeDeltas: number[] } };
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(`bench/results/dashboard-${phase}.cpuprofile`, JSON.stringify(profile));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const byFn = new Map<string, number>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const name = `${f.functionName || "(anon)"} ${f.url.split("/").pop()}:${f.lineNumber}:${f.columnNumber}`;
    byFn.set(name, (byFn.get(name) ?? 0) + (self.get(n.id) ?? 0) / 1000);
  }
  for (const [name, ms] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${ms.toFixed(1).padStart(9)} ms self  ${name}`);
  // Inclusive time: a node's self time plus its descendants', summed per function (recursion counted once per stack).
  const nodes = profile.nodes as { id: number; children?: number[]; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const total = new Map<string, number>();
  const walk = (id: number, seen: Set<string>): number => {
    const n = byId.get(id)!;
    const name = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`;
    let t = (self.get(id) ?? 0) / 1000;
    const inner = new Set(seen).add(name);
    for (const c of n.children ?? []) t += walk(c, inner);
    if (!seen.has(name)) total.set(name, (total.get(name) ?? 0) + t);
    return t;
  };
  walk(nodes[0]!.id, new Set());
  console.log("--- inclusive");
  for (const [name, ms] of [...total].filter(([n]) => /main\.js/.test(n)).sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${ms.toFixed(1).padStart(9)} ms  ${name}`);
} finally {
  await browser.close();
  await harness.close();
}
