/// <reference lib="dom" />
// The dashboard in real Chromium (Debian's, through playwright-core), loaded standalone with a fake host.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Browser, Page } from "playwright-core";
import { launchChromium, openDashboard, startHarness, type Harness } from "../harness/serve.ts";

type W = Window & { __harness: { sent: { kind: string; method?: string; params?: unknown }[]; pushResults(n: number): number; reveal(id: string): void; state: unknown }; __pwned?: number; __csp: string[] };

/** Pixels of a canvas that are not transparent. */
function inkOf(page: Page, testid: string): Promise<number> {
  return page.evaluate((id) => {
    const c = document.querySelector(`[data-testid="${id}"]`) as HTMLCanvasElement;
    const data = c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
    return n;
  }, testid);
}

describe("dashboard webview in Chromium", () => {
  let harness: Harness;
  let browser: Browser;
  before(async () => {
    harness = await startHarness();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await harness?.close();
  });

  it("draws every chart, fills the table and shows the best trial, with no CSP violation", async () => {
    const { page, violations, errors } = await openDashboard(browser, harness.url("trials=60&points=30&seed=5"));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="table-scroll"] .trow:not([hidden])').length > 5);
    await page.waitForFunction(() => (document.querySelector('[data-testid="pcp-canvas"]') as HTMLCanvasElement).width > 0);
    for (const id of ["curves-canvas", "pcp-canvas", "scatter-canvas"]) assert.ok((await inkOf(page, id)) > 2000, `${id} drew`);
    // The best card names the trial with the lowest val_loss (mode min).
    const expected = await page.evaluate(() => {
      const trials = (window as unknown as { __harness: { model: { snapshot(): { trials: { id: string; best?: number }[] } } } }).__harness.model.snapshot().trials;
      return trials.filter((t) => t.best !== undefined).sort((a, b) => a.best! - b.best!)[0]!.id;
    });
    assert.equal(await page.textContent('[data-testid="best-id"]'), expected);
    // The table sorts best first by default.
    assert.equal(await page.textContent('[data-testid="table-scroll"] .trow:not([hidden]) .tcell'), expected);
    assert.equal(await page.textContent('[data-testid="table-count"]'), "60 of 60");
    assert.deepEqual(await page.evaluate(() => (window as unknown as W).__csp), []);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("shares a selection between the table, the charts and the host, and keeps it across a reload", async () => {
    const { page } = await openDashboard(browser, harness.url("trials=40&points=20"));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="table-scroll"] .trow:not([hidden])').length > 5);
    const row = page.locator('[data-testid="table-scroll"] .trow:not([hidden])').nth(3);
    const id = await row.getAttribute("data-id");
    await row.click();
    await page.waitForFunction((tid) => (window as unknown as W).__harness.sent.some((m) => m.method === "dashboard/select" && (m.params as { id: string }).id === tid), id);
    assert.equal(await page.getAttribute('[data-testid="table-scroll"] .trow.selected', "data-id"), id);
    // The host reveals another trial: the table follows.
    await page.evaluate(() => (window as unknown as W).__harness.reveal("t00007"));
    await page.waitForSelector('[data-testid="table-scroll"] .trow.selected[data-id="t00007"]');
    // State (selection) survives the page being dropped and rebuilt, as on hide/show.
    await page.reload();
    await page.waitForFunction(() => performance.getEntriesByName("tunelab:first-paint").length > 0);
    await page.waitForSelector('[data-testid="table-scroll"] .trow.selected[data-id="t00007"]');
    await page.close();
  });

  it("filters the table and applies live deltas", async () => {
    const { page } = await openDashboard(browser, harness.url("trials=200&points=10&running=1"));
    await page.waitForFunction(() => document.querySelector('[data-testid="table-count"]')?.textContent === "200 of 200");
    await page.locator('[data-testid="table-filter"] input').fill("layers=3");
    await page.waitForFunction(() => !/^200 of/.test(document.querySelector('[data-testid="table-count"]')?.textContent ?? ""));
    const shown = await page.$$eval('[data-testid="table-scroll"] .trow:not([hidden])', (rows) => rows.length);
    assert.ok(shown > 0);
    const before = await page.evaluate(() => document.querySelector('[data-testid="best-value"]')?.textContent);
    await page.evaluate(() => {
      for (let i = 0; i < 20; i++) (window as unknown as W).__harness.pushResults(200);
    });
    // Curves only fall in the synthetic experiment, so more results give a better best.
    await page.waitForFunction((b) => document.querySelector('[data-testid="best-value"]')?.textContent !== b, before);
    await page.close();
  });

  it("keeps hostile trial names, configs and metric keys inert", async () => {
    const { page, violations, errors } = await openDashboard(browser, harness.url("trials=30&points=10&hostile=1&pbt=1"));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="table-scroll"] .trow:not([hidden])').length > 5);
    // Select a hostile trial so the lineage and best card render its strings too.
    await page.evaluate(() => (window as unknown as W).__harness.reveal(`t0<img src=x onerror="window.__pwned=(window.__pwned||0)+1">`));
    await page.mouse.move(400, 700);
    await page.waitForTimeout(300); // let any injected onerror fire: there is no event to wait for when nothing happens
    assert.equal(await page.evaluate(() => (window as unknown as W).__pwned), undefined);
    assert.equal(await page.locator("img").count(), 0);
    assert.ok((await page.textContent("body"))!.includes("<img src=x onerror="), "shown as text");
    assert.deepEqual(await page.evaluate(() => (window as unknown as W).__csp), []);
    assert.deepEqual(violations, []);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("reads in light and high-contrast themes", async () => {
    for (const theme of ["light", "high-contrast"]) {
      const { page, errors } = await openDashboard(browser, harness.url(`trials=20&points=10&theme=${theme}`));
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, theme === "light" ? "rgb(255, 255, 255)" : "rgb(0, 0, 0)");
      assert.ok((await inkOf(page, "curves-canvas")) > 1000);
      assert.deepEqual(errors, []);
      await page.close();
    }
  });
});
