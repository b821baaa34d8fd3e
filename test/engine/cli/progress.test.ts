import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { bestTrial, consoleReporter, trialTable } from "../../../src/engine/cli/progress.ts";
import type { TrialView } from "../../../src/engine/interfaces.ts";

const trial = (id: string, status: TrialView["status"], acc: number | undefined, lr: number): TrialView => ({
  id, status, config: { lr, opt: { name: "sgd" } }, iteration: acc === undefined ? 0 : 3,
  lastResult: acc === undefined ? undefined : { acc }, checkpointIteration: undefined, resources: { cpu: 1, gpu: 0 },
});

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { isTTY, write: (s: string) => (chunks.push(s), true) }, text: () => chunks.join("") };
}

describe("console progress", () => {
  const trials = [trial("a_00000", "TERMINATED", 0.8, 0.1), trial("a_00001", "RUNNING", 0.9, 0.01), trial("a_00002", "PENDING", undefined, 1e-5)];

  it("picks the best trial by metric and mode, ignoring trials without the metric", () => {
    assert.equal(bestTrial(trials, "acc", "max")?.id, "a_00001");
    assert.equal(bestTrial(trials, "acc", "min")?.id, "a_00000");
    assert.equal(bestTrial(trials, undefined, "max"), undefined);
  });

  it("tables flatten nested configs into a/b columns and format numbers compactly", () => {
    const text = trialTable(trials, "acc");
    const [header, , , third] = text.split("\n");
    assert.match(header!, /^trial\s+status\s+iter\s+acc\s+lr\s+opt\/name$/);
    assert.match(third!, /a_00002\s+PENDING\s+0\s+1\.000e-5\s+sgd/);
  });

  it("without a TTY prints one plain line per trial event and no escape codes", () => {
    const s = sink(false);
    const r = consoleReporter({ out: s.out, metric: "acc", mode: "max", total: () => 3, trials: () => trials });
    r.onTrialStart!(trials[0]!, 1);
    r.onTrialEnd!(trials[0]!, "TERMINATED", "acc 0.8 >= 0.8\nmore");
    r.onExperimentEnd!({ outcome: "completed", expDir: "/x", trials, errored: 0 });
    const text = s.text();
    assert.match(text, /trial a_00000 started: \{"lr":0.1/);
    assert.match(text, /trial a_00000 terminated after 3 iterations acc=0.8 — acc 0.8 >= 0.8\n/);
    assert.match(text, /3\/3 trials: 1 terminated, 1 running, 1 pending \| best acc=0.9 \(a_00001\)/);
    assert.ok(!text.includes("\u001b["), "no escape codes");
  });

  it("on a TTY redraws the table in place at the end", () => {
    const s = sink(true);
    const r = consoleReporter({ out: s.out, metric: "acc", mode: "max", total: () => undefined, trials: () => trials });
    r.onTrialStart!(trials[0]!, 1);
    r.onExperimentEnd!({ outcome: "completed", expDir: "/x", trials, errored: 0 });
    assert.doesNotMatch(s.text(), /started/, "no per-event lines on a TTY");
    assert.match(s.text(), /a_00001\s+RUNNING/);
  });
});
