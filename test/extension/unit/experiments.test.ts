import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Experiments, type ExperimentsChange } from "../../../src/extension/model/experiments.ts";
import { Experiment } from "../../../src/extension/model/experiment.ts";
import { experimentDescription, trialDescription } from "../../../src/extension/views/tree-nodes.ts";
import { statusText } from "../../../src/extension/views/status-bar-text.ts";

const line = (e: object): string => JSON.stringify(e) + "\n";

function journal(dir: string, trials: number, results = 0): void {
  mkdirSync(dir, { recursive: true });
  let text = line({ t: "experiment", ts: 1, name: "demo", seed: 1, configPath: "/c/tune.config.ts", metric: "acc", mode: "max" });
  for (let i = 0; i < trials; i++) {
    const id = `r_${String(i).padStart(5, "0")}`;
    text += line({ t: "trial", ts: 2 + i, id, index: i, config: { lr: i }, resources: { cpu: 1, gpu: 0 } });
    text += line({ t: "start", ts: 2 + i, id, attempt: 1, iteration: 0 });
    for (let r = 1; r <= results; r++) text += line({ t: "result", ts: 3 + i, id, r: { acc: ((i * 7919) % trials) / trials + r / 1e6, training_iteration: r } });
    if (i % 2 === 0) text += line({ t: "end", ts: 4 + i, id, status: "TERMINATED" });
  }
  appendFileSync(join(dir, "events.jsonl"), text);
}

test("new experiment dirs and appended results arrive as one coalesced change", async () => {
  const root = mkdtempSync(join(tmpdir(), "tl-exps-"));
  const model = new Experiments({ roots: () => [root], coalesceMs: 30 });
  const changes: ExperimentsChange[] = [];
  const got = new Promise<void>((resolve) => model.onDidChange((c) => (changes.push(c), resolve())));
  try {
    journal(join(root, "demo-1"), 3, 1);
    mkdirSync(join(root, ".logs")); // not an experiment
    writeFileSync(join(root, "stray.txt"), "");
    await model.poll();
    await model.poll();
    await got;
    assert.equal(changes.length, 1, "the scans within the window became one change");
    assert.equal(changes[0]!.listChanged, true);
    assert.equal(model.list().length, 1);
    const exp = model.list()[0]!;
    assert.equal(exp.state.trials.length, 3);
    assert.equal(exp.phase(() => false), "interrupted", "no runner pid, not finished");
    assert.match(experimentDescription(exp, "interrupted"), /^interrupted · 2\/3 done · 1 running · best acc=/);
    assert.equal(trialDescription(exp.state.trials[1]!, "acc"), "running · acc=0.6667 · iter 1");
    assert.match(statusText(exp, false), /^\$\(beaker\) demo 2\/3 · acc 0\.6667$/);
  } finally {
    model.dispose();
    rmSync(root, { recursive: true, force: true });
  }
});

// Prints the timings for the record; bounds on them would fail on a loaded machine, so only behaviour is asserted.
test("10,000 trials: the tail, the best-first sort (cached until a change) and the rows", async () => {
  const root = mkdtempSync(join(tmpdir(), "tl-10k-"));
  try {
    journal(join(root, "big"), 10_000, 3);
    const exp = new Experiment(join(root, "big"), "tunelab");
    let t = performance.now();
    await exp.refresh();
    const readMs = performance.now() - t;
    t = performance.now();
    const sorted = exp.trials("best");
    const sortMs = performance.now() - t;
    t = performance.now();
    const rows = sorted.map((tr) => trialDescription(tr, "acc"));
    const rowsMs = performance.now() - t;
    console.log(`10k trials / 50k events: read+replay ${readMs.toFixed(1)} ms, sort ${sortMs.toFixed(1)} ms, rows ${rowsMs.toFixed(1)} ms`);
    assert.equal(rows.length, 10_000);
    for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i - 1]!.best! >= sorted[i]!.best!, "best first");
    assert.equal(exp.trials("best"), sorted, "the sort is cached until the next change");
    assert.notEqual(exp.trials("started"), sorted, "another order is sorted anew");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
