/**
 * Tunelab: Open Dashboard on an experiment produced by a real run. Runs after extension.host
 * (files load in name order) and reuses the demo run it finishes; run alone, it makes its own
 * with the bundled CLI.
 */
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { TunelabApi } from "../../../src/extension/extension.ts";
import type { DashboardTestState } from "../../../src/extension/panels/dashboard.ts";
import { readJournalSync } from "../../../src/engine/store/journal.ts";
import { replay } from "../../../src/engine/store/state.ts";
import { EXTENSION_ID, tunelab, waitFor, workspaceDir } from "./helpers.ts";

const DASHBOARD_VIEW_TYPE = "tunelab.dashboard";

/** The newest finished run of the workspace's demo config, if the suite already made one. */
function finishedDemoRun(api: TunelabApi, config: string): string | undefined {
  return api.services.experiments.list()
    .filter((e) => e.kind === "tunelab" && e.state.configPath === config && e.state.finished?.outcome === "completed" && e.state.trials.length > 0)
    .pop()?.dir;
}

/** Runs the demo with the bundled CLI (2 trials) and returns the experiment dir it prints. */
function runDemo(config: string): Promise<void> {
  const cli = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, "dist", "cli.mjs");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, "run", config, "--samples", "2"], { cwd: workspaceDir(), timeout: 90_000 }, (error, _out, err) =>
      error ? reject(new Error(`tunelab run ${config} failed: ${error.message}\n${err}`)) : resolve());
  });
}

/** Re-asks `check` every 100 ms until it answers; rejects after `ms` naming `what` (the webview's ready has no event here). */
async function pollUntil<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The best trial of `dir` straight from its files, not through the dashboard's model: metric and
 * mode from experiment.json, each trial's best result from the journal; a tie goes to the earlier trial.
 */
function bestTrialFromJournal(dir: string): { id: string; value: number; metric: string } {
  const { metric, mode } = JSON.parse(readFileSync(join(dir, "experiment.json"), "utf8")) as { metric?: string; mode?: "min" | "max" };
  if (!metric || !mode) throw new Error(`${dir}/experiment.json names no metric and mode`);
  const { events } = readJournalSync(dir);
  const bestOf = new Map<string, number>();
  for (const e of events) {
    if (e.t !== "result") continue;
    const v = e.r[metric];
    if (typeof v !== "number" || Number.isNaN(v)) continue;
    const prev = bestOf.get(e.id);
    if (prev === undefined || (mode === "max" ? v > prev : v < prev)) bestOf.set(e.id, v);
  }
  let best: { id: string; value: number; metric: string } | undefined;
  for (const t of replay(events).trials) {
    const v = bestOf.get(t.id);
    if (v !== undefined && (!best || (mode === "max" ? v > best.value : v < best.value))) best = { id: t.id, value: v, metric };
  }
  if (!best) throw new Error(`no trial of ${dir} reported ${metric}`);
  return best;
}

function dashboardTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith(DASHBOARD_VIEW_TYPE));
}

describe("the dashboard on a real experiment", function () {
  it("opens one dashboard tab per experiment from tunelab.openDashboard, revealed again on a second call", async function () {
    this.timeout(150_000);
    const api = await tunelab();
    const config = join(workspaceDir(), "tune.config.ts");
    let dir = finishedDemoRun(api, config);
    if (!dir) {
      await runDemo(config);
      dir = await waitFor(api, () => finishedDemoRun(api, config), 30_000, "the CLI run to show up finished");
    }
    const exp = api.services.experiments.get(dir)!;
    assert.ok(exp.state.trials.every((t) => t.status === "TERMINATED"), exp.state.trials.map((t) => `${t.id} ${t.status}`).join("; "));

    const before = dashboardTabs().length;
    await vscode.commands.executeCommand("tunelab.openDashboard", dir, exp.state.trials[0]!.id);
    const title = `Tunelab: ${basename(dir)}`;
    const tab = await waitFor(api, () => dashboardTabs().find((t) => t.label === title), 10_000, `a webview tab titled "${title}"`);
    assert.ok(tab.isActive, "the dashboard tab is the active one");
    assert.equal(dashboardTabs().length, before + 1);
    // The webview's script ran under its CSP and said ready; the host answered with the whole run.
    const state = await pollUntil(async () => {
      const st = await vscode.commands.executeCommand<DashboardTestState | undefined>("tunelab._dashboardState", dir);
      return st && st.readies > 0 ? st : undefined;
    }, 15_000, "the dashboard webview to say ready");
    assert.equal(state.trials, exp.state.trials.length);
    assert.ok(state.points >= exp.state.trials.length, `${state.points} curve points for ${exp.state.trials.length} trials`);
    // The page drew that snapshot: its best card names the journal's best trial, and the charts have ink.
    const rendered = await pollUntil(async () => {
      const st = await vscode.commands.executeCommand<DashboardTestState | undefined>("tunelab._dashboardState", dir);
      return st?.rendered;
    }, 15_000, "the dashboard webview to say it drew its first snapshot");
    const best = bestTrialFromJournal(dir);
    assert.equal(rendered.bestTrialId, best.id, `best by ${best.metric} is ${best.id} (${best.value}); the card shows ${rendered.bestTrialId}`);
    assert.ok(rendered.canvasesDrawn >= 2, `${rendered.canvasesDrawn} chart canvases drew`);
    assert.equal(rendered.tableRows, exp.state.trials.length, "one table row per trial");

    // A second open of the same experiment reveals the panel rather than opening another.
    await vscode.commands.executeCommand("tunelab.openDashboard", dir);
    assert.equal(dashboardTabs().filter((t) => t.label === title).length, 1);
    await vscode.window.tabGroups.close(tab);
    assert.equal(dashboardTabs().some((t) => t.label === title), false, "closing the tab disposes the panel");
  });
});
