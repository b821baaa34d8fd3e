/// <reference lib="dom" />
/**
 * Serves the dashboard standalone for tests and the bench: the page rendered
 * by the host's own dashboardHtml (same CSP), the built bundle, and the fake
 * host. Also launches Debian's chromium through playwright-core.
 */
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { chromium, type Browser, type Page } from "playwright-core";
import { dashboardHtml, makeNonce } from "../../../src/extension/panels/dashboard-html.ts";
import { DashboardModel } from "../../../src/extension/data/dashboard-model.ts";
import type { DashboardDelta } from "../../../src/shared/dashboard-types.ts";
import { synthetic, syntheticMeta, type SyntheticOptions } from "./synthetic.ts";
// @ts-expect-error: a plain .mjs build script without types
import { buildWebview } from "../../../webview/build.mjs";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".map": "application/json" };

export interface Harness {
  url(query?: string): string;
  /**
   * Builds a synthetic experiment and its snapshot here in Node, as a real host
   * would, so the page holds only what the host posts. Open `url(served.query)`;
   * the page posts the snapshot on `ready`, and `pushResults` makes the deltas
   * the bench hands to `window.__harness.deliver`.
   */
  serve(options: SyntheticOptions): ServedExperiment;
  close(): Promise<void>;
}

export interface ServedExperiment {
  query: string;
  model: DashboardModel;
  /** `n` new results as one delta (undefined when nothing changed). */
  pushResults(n: number): DashboardDelta | undefined;
}

/** Builds the webview bundle and the fake host, then serves them on a free loopback port. */
export async function startHarness(o: { minify?: boolean } = {}): Promise<Harness> {
  const out = mkdtempSync(join(tmpdir(), "tunelab-webview-"));
  await Promise.all([
    (buildWebview as (o: object) => Promise<unknown>)({ outdir: join(out, "webview"), ...(o.minify === false ? { minify: false } : {}) }),
    build({ entryPoints: [join(ROOT, "test/webview/harness/fake-host.ts")], bundle: true, format: "iife", platform: "browser", target: "chrome120", outfile: join(out, "fake-host.js"), logLevel: "warning" }),
  ]);
  // Snapshot scripts by key: `window.__tunelabSnapshot = JSON.parse("…")`, run before the fake host.
  const served = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/") {
      const origin = `http://${req.headers.host ?? "127.0.0.1"}`;
      const key = url.searchParams.get("served");
      const pre = key !== null && served.has(key) ? [`/served/${encodeURIComponent(key)}.js`, "/fake-host.js"] : ["/fake-host.js"];
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(dashboardHtml({ cspSource: origin, nonce: makeNonce(), scriptUri: "/webview/main.js", styleUri: "/webview/main.css", title: "Tunelab dashboard (test)", preScriptUris: pre }));
      return;
    }
    const m = /^\/served\/([^/]+)\.js$/.exec(url.pathname);
    if (m) {
      const body = served.get(decodeURIComponent(m[1]!));
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { "content-type": "text/javascript" }).end(body);
      return;
    }
    const file = normalize(join(out, url.pathname));
    if (!file.startsWith(out)) {
      res.writeHead(403).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  let nextKey = 1;
  return {
    url: (query = "") => `http://127.0.0.1:${port}/${query ? `?${query}` : ""}`,
    serve(options: SyntheticOptions): ServedExperiment {
      const run = synthetic(options);
      const model = new DashboardModel({ ...syntheticMeta(options), state: options.running ? "running" : undefined });
      model.apply(run.events);
      run.events.length = 0;
      const key = String(nextKey++);
      // Typed arrays travel as base64, so loading the page leaves little garbage for the measured part to collect.
      const json = JSON.stringify(model.snapshot(), (_k, v: unknown) =>
        v instanceof Float64Array || v instanceof Uint32Array ? { [v instanceof Float64Array ? "$f64" : "$u32"]: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") } : v);
      served.set(key, `(() => {
  const bytes = (s) => { const b = atob(s); const u = new Uint8Array(b.length); for (let i = 0; i < b.length; i++) u[i] = b.charCodeAt(i); return u.buffer; };
  window.__tunelabSnapshot = JSON.parse(${JSON.stringify(json)}, (k, v) => v && v.$f64 !== undefined ? new Float64Array(bytes(v.$f64)) : v && v.$u32 !== undefined ? new Uint32Array(bytes(v.$u32)) : v);
})();\n`);
      return {
        query: `served=${key}`,
        model,
        pushResults(n: number): DashboardDelta | undefined {
          model.apply(run.more(n));
          return model.takeDelta();
        },
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export const CHROMIUM = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"] });
}

/** Opens the page and collects CSP violations and page errors. */
export async function openDashboard(browser: Browser, url: string, viewport = { width: 1280, height: 1400 }): Promise<{ page: Page; violations: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport });
  const violations: string[] = [];
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await page.addInitScript(() => {
    (window as unknown as { __csp: string[] }).__csp = [];
    document.addEventListener("securitypolicyviolation", (e) => (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName("tunelab:first-paint").length > 0, null, { timeout: 20_000 });
  return { page, violations, errors };
}
