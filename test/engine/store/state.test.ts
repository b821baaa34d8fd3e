import { strict as assert } from "node:assert";
import { test } from "node:test";
import type { JournalEvent } from "../../../src/engine/store/events.ts";
import { applyEvent, countByStatus, getTrial, interruptedTrials, replay } from "../../../src/engine/store/state.ts";

const header: JournalEvent = { t: "experiment", ts: 1, name: "exp", seed: 3, configPath: "/p/tune.config.ts", metric: "loss", mode: "min" };
const trial = (id: string, index: number): JournalEvent => ({ t: "trial", ts: 2, id, index, config: { lr: index }, resources: { cpu: 1, gpu: 0 } });
const start = (id: string, iteration = 0): JournalEvent => ({ t: "start", ts: 3, id, attempt: 1, iteration });
const res = (id: string, it: number, loss: number): JournalEvent => ({ t: "result", ts: 4 + it, id, r: { training_iteration: it, loss } });

test("replay rebuilds the experiment header and trials in creation order", () => {
  const s = replay([header, trial("b", 0), trial("a", 1), { t: "searcher", ts: 5, state: { n: 1 } }, { t: "searcher", ts: 6, state: { n: 2 } }, { t: "scheduler", ts: 6, state: "s" }]);
  assert.equal(s.name, "exp");
  assert.equal(s.seed, 3);
  assert.equal(s.configPath, "/p/tune.config.ts");
  assert.equal(s.metric, "loss");
  assert.equal(s.mode, "min");
  assert.deepEqual(s.trials.map((t) => t.id), ["b", "a"]);
  assert.equal(getTrial(s, "a")?.status, "PENDING");
  assert.deepEqual(s.searcher, { n: 2 });
  assert.equal(s.scheduler, "s");
  assert.equal(s.finished, undefined);
});

test("results set iteration, lastResult, resultCount and the best value by mode", () => {
  const s = replay([header, trial("a", 0), start("a"), res("a", 1, 0.5), res("a", 2, 0.2), res("a", 3, 0.4)]);
  const a = getTrial(s, "a")!;
  assert.equal(a.status, "RUNNING");
  assert.equal(a.iteration, 3);
  assert.equal(a.resultCount, 3);
  assert.deepEqual(a.lastResult, { training_iteration: 3, loss: 0.4 });
  assert.equal(a.best, 0.2);
  assert.equal(a.startedAt, 3);
});

test("end with retry puts the trial back to PENDING and counts a failure", () => {
  const retried: JournalEvent[] = [header, trial("a", 0), start("a"), res("a", 1, 1), { t: "end", ts: 9, id: "a", status: "ERROR", error: "boom", retry: true }];
  const s = replay(retried);
  const a = getTrial(s, "a")!;
  assert.equal(a.status, "PENDING");
  assert.equal(a.failures, 1);
  assert.equal(a.error, "boom");
  assert.equal(a.endedAt, undefined);
  const again = replay([...retried, start("a", 1), { t: "end", ts: 12, id: "a", status: "TERMINATED", stoppedBy: "max iterations" }]);
  assert.equal(getTrial(again, "a")!.status, "TERMINATED");
  assert.equal(getTrial(again, "a")!.attempts, 2);
  assert.equal(getTrial(again, "a")!.stoppedBy, "max iterations");
  assert.equal(getTrial(again, "a")!.endedAt, 12);
});

test("an ERROR end without retry is final and counts a failure", () => {
  const s = replay([header, trial("a", 0), start("a"), { t: "end", ts: 9, id: "a", status: "ERROR", error: "exit 1" }]);
  assert.equal(getTrial(s, "a")!.status, "ERROR");
  assert.equal(getTrial(s, "a")!.failures, 1);
});

test("removed checkpoints drop out; a re-persisted iteration replaces its record", () => {
  const s = replay([
    header, trial("a", 0), start("a"),
    { t: "checkpoint", ts: 5, id: "a", iteration: 1, path: "trial_a/checkpoint_000001", score: 0.5 },
    { t: "checkpoint", ts: 6, id: "a", iteration: 2, path: "trial_a/checkpoint_000002", score: 0.3 },
    { t: "checkpoint_removed", ts: 7, id: "a", path: "trial_a/checkpoint_000001" },
    { t: "checkpoint", ts: 8, id: "a", iteration: 2, path: "trial_a/checkpoint_000002", score: 0.1 },
  ]);
  assert.deepEqual(getTrial(s, "a")!.checkpoints, [{ iteration: 2, path: "trial_a/checkpoint_000002", score: 0.1 }]);
});

test("trials RUNNING when the journal ends are listed as interrupted", () => {
  const s = replay([
    header, trial("a", 0), trial("b", 1), trial("c", 2), start("a"), start("b"), start("c"),
    { t: "end", ts: 9, id: "b", status: "TERMINATED" }, { t: "end", ts: 9, id: "c", status: "PAUSED" },
  ]);
  assert.deepEqual(interruptedTrials(s).map((t) => t.id), ["a"]);
  assert.deepEqual(countByStatus(s), { PENDING: 0, RUNNING: 1, PAUSED: 1, TERMINATED: 1, ERROR: 0 });
});

test("finished records the outcome; events for unknown trials become warnings", () => {
  const s = replay([header, res("ghost", 1, 1), { t: "finished", ts: 10, outcome: "completed" }]);
  assert.deepEqual(s.finished, { outcome: "completed", ts: 10 });
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0]!, /ghost/);
});

test("applyEvent leaves the previous state untouched", () => {
  const before = replay([header, trial("a", 0), start("a")]);
  const after = applyEvent(before, res("a", 1, 0.5));
  assert.equal(getTrial(before, "a")!.resultCount, 0);
  assert.equal(getTrial(after, "a")!.resultCount, 1);
  const added = applyEvent(after, trial("b", 1));
  assert.equal(after.trials.length, 1);
  assert.equal(getTrial(after, "b"), undefined);
  assert.equal(getTrial(added, "b")?.status, "PENDING");
});
