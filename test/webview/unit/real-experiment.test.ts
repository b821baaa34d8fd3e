// What the dashboard panel does on `ready`, on a real experiment dir: the digits demo run by the real
// CLI, read by experiment-reader, fed through DashboardModel into a snapshot, loaded by the webview's store.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openExperimentSource } from "../../../src/extension/data/experiment-reader.ts";
import { DashboardModel } from "../../../src/extension/data/dashboard-model.ts";
import { DashboardStore, seriesData } from "../../../src/shared/dashboard-store.ts";
import { topTrials } from "../../../src/shared/dashboard-table.ts";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

describe("dashboard on a real experiment (examples/digits)", () => {
  let storage: string;
  let expDir: string;
  before(async () => {
    storage = mkdtempSync(join(tmpdir(), "tunelab-dash-real-"));
    await promisify(execFile)(process.execPath, ["bin/tunelab.mjs", "run", "examples/digits/tune.config.ts", "--storage", storage, "--samples", "4", "-q"], { cwd: ROOT, timeout: 240_000 });
    const dirs = readdirSync(storage);
    assert.equal(dirs.length, 1, `one experiment dir under ${storage}`);
    expDir = join(storage, dirs[0]!);
  });
  after(() => rmSync(storage, { recursive: true, force: true }));

  it("gives a snapshot whose best trial is the journal's best by the experiment's metric and mode", () => {
    const source = openExperimentSource(expDir);
    assert.equal(source.kind, "tunelab");
    const model = new DashboardModel(source.meta());
    model.apply(source.poll());
    const snapshot = model.snapshot();
    // The page receives it through postMessage's structured clone.
    const store = new DashboardStore();
    store.load(structuredClone(snapshot));

    const info = store.info!;
    assert.equal(info.metric, "val_acc");
    assert.equal(info.mode, "max");
    assert.equal(info.state, "completed");
    assert.deepEqual(info.params.map((p) => p.path).sort(), ["batch_size", "hidden", "l2", "lr", "momentum", "seed"].sort());
    assert.equal(info.params.find((p) => p.path === "lr")?.log, true);

    // The best trial, worked out independently from the journal's result lines.
    const trials = new Set<string>();
    const best = new Map<string, number>();
    const points = new Map<string, number>();
    for (const line of readFileSync(join(expDir, "events.jsonl"), "utf8").split("\n")) {
      if (!line) continue;
      const e = JSON.parse(line) as { t: string; id?: string; r?: Record<string, unknown> };
      if (e.t === "trial") trials.add(e.id!);
      if (e.t !== "result" || typeof e.r?.val_acc !== "number") continue;
      best.set(e.id!, Math.max(best.get(e.id!) ?? -Infinity, e.r.val_acc));
      points.set(e.id!, (points.get(e.id!) ?? 0) + 1);
    }
    // (--samples 4 of each grid point of the demo's space.)
    assert.ok(trials.size >= 4);
    assert.deepEqual(store.trials.map((t) => t.id).sort(), [...trials].sort());
    const expected = [...best].sort((a, b) => b[1] - a[1])[0]!;
    const top = topTrials(store.trials, info.metric, info.mode, 1)[0]!;
    assert.equal(top.id, expected[0]);
    assert.equal(top.best, expected[1]);
    // Every trial's curve came through, point for point.
    for (const [id, n] of points) {
      const s = seriesData(store.series.get(id)!);
      assert.equal(s.iteration.length, n, `points of ${id}`);
      assert.equal(Math.max(...(s.values.val_acc as number[])), best.get(id));
    }
  });
});
