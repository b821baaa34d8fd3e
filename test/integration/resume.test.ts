/** Crashes and interruptions of the runner itself: kill -9, Ctrl-C, `tunelab stop`, then resume. */
import { strict as assert } from "node:assert";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { JournalEvent } from "../../src/engine/store/events.ts";
import { BEHAVIOURS, isAlive, journal, journalLines, runCli, startCli, stateOf, tempStorage, waitForExperiment } from "./helpers.ts";

const count = (events: JournalEvent[], pred: (e: JournalEvent) => boolean): number => events.filter(pred).length;

describe("runner crash and resume", () => {
  it("resumes after kill -9 with every acknowledged result kept and no trial run twice to completion", async () => {
    const storage = tempStorage();
    const overrides = { samples: 4, concurrency: 2, space_extra: { iters: 8, sleep: 0.12, ckpt_every: 2 } };
    const { child, done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], overrides);
    const dir = await waitForExperiment(storage,
      (events) => count(events, (e) => e.t === "end") >= 1 && count(events, (e) => e.t === "result") >= 14, "a finished trial and 14 results");
    child.kill("SIGKILL");
    await done;
    const before = journalLines(dir);
    const beforeEvents = journal(dir);
    const finishedBefore = new Set(beforeEvents.flatMap((e) => (e.t === "end" && e.status === "TERMINATED" ? [e.id] : [])));
    const interrupted = stateOf(dir).trials.filter((t) => t.status === "RUNNING");
    assert.ok(interrupted.length >= 1, "some trial was running when the runner died");

    const resumed = await runCli(["resume", dir, "--quiet"], overrides);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.doesNotMatch(resumed.stderr, /config changed/);
    const after = journalLines(dir);
    assert.deepEqual(after.slice(0, before.length), before, "the journal before the crash is kept as it was");
    const events = journal(dir);
    const state = stateOf(dir);
    assert.equal(state.trials.length, 4);
    for (const trial of state.trials) {
      assert.equal(trial.status, "TERMINATED");
      assert.equal(trial.lastResult?.training_iteration, 8);
      assert.equal(count(events, (e) => e.t === "end" && e.id === trial.id && e.status === "TERMINATED"), 1, `${trial.id} completed once`);
    }
    const resumeAt = events.findIndex((e) => e.t === "resume");
    const restarted = events.slice(resumeAt).filter((e): e is Extract<JournalEvent, { t: "start" }> => e.t === "start");
    for (const s of restarted) assert.ok(!finishedBefore.has(s.id), `finished trial ${s.id} was started again`);
    for (const t of interrupted) {
      const start = restarted.find((s) => s.id === t.id)!;
      const latest = t.checkpoints.reduce((m, c) => Math.max(m, c.iteration), 0);
      assert.equal(start.iteration, latest, `${t.id} restarts from its latest checkpoint`);
      assert.ok(!t.pid || !isAlive(t.pid), `the old process of ${t.id} is gone`);
    }
  });

  it("stops gracefully on SIGINT with no processes left, then resume finishes the experiment", async () => {
    const storage = tempStorage();
    const overrides = { samples: 2, concurrency: 2, space_extra: { iters: 40, sleep: 0.1, ckpt_every: 3 } };
    const { child, done } = startCli(["run", BEHAVIOURS, "--storage", storage], overrides);
    const dir = await waitForExperiment(storage, (events) => count(events, (e) => e.t === "result") >= 4, "4 results");
    child.kill("SIGINT");
    const run = await done;
    assert.equal(run.code, 4, `exit code 4 means interrupted\n${run.stderr}`);
    assert.match(run.stderr, /tunelab resume/);
    const events = journal(dir);
    const pids = events.flatMap((e) => (e.t === "start" && e.pid ? [e.pid] : []));
    assert.equal(pids.length, 2);
    for (const pid of pids) assert.ok(!isAlive(pid), `trial process ${pid} was left running`);
    const state = stateOf(dir);
    assert.deepEqual(state.trials.map((t) => t.status), ["PAUSED", "PAUSED"]);
    assert.equal(state.finished?.outcome, "stopped");

    const resumed = await runCli(["resume", dir, "--quiet"], { ...overrides, concurrency: 1 });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /the config changed since this experiment started \(concurrency\)/);
    assert.deepEqual(stateOf(dir).trials.map((t) => [t.status, t.lastResult?.training_iteration]), [["TERMINATED", 40], ["TERMINATED", 40]]);
    const again = await runCli(["resume", dir], overrides);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already completed; nothing to resume/);
  });

  it("`tunelab stop` asks a running experiment to stop", async () => {
    const storage = tempStorage();
    const { done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 1, space_extra: { iters: 100, sleep: 0.1 },
    });
    const dir = await waitForExperiment(storage,
      (events, d) => existsSync(join(d, "experiment.json")) && count(events, (e) => e.t === "result") >= 1, "a first result");
    const stop = await runCli(["stop", dir]);
    assert.equal(stop.code, 0, stop.stderr);
    const run = await done;
    assert.equal(run.code, 4);
    const again = await runCli(["stop", dir]);
    assert.equal(again.code, 5, "nothing to stop any more");
  });

  it("ends with an error naming the journal, and no trial left running, when the experiment dir is deleted under the run", async () => {
    const storage = tempStorage();
    const { done } = startCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], { samples: 2, concurrency: 2, space_extra: { iters: 400, sleep: 0.05 } });
    const dir = await waitForExperiment(storage, (events) => count(events, (e) => e.t === "result") >= 4, "4 results");
    const pids = journal(dir).flatMap((e) => (e.t === "start" && e.pid ? [e.pid] : []));
    rmSync(dir, { recursive: true });
    const run = await done;
    assert.equal(run.code, 1, `the run failed rather than finishing unrecorded\n${run.stderr}`);
    assert.match(run.stderr + run.stdout, new RegExp(`${join(dir, "events.jsonl").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*deleted while the experiment ran`));
    for (const pid of pids) assert.ok(!isAlive(pid), `trial process ${pid} was left running`);
  });
});
