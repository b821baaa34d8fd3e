/** User callbacks: frozen snapshots, errors reported once per hook, async never awaited by the runner. */
import { strict as assert } from "node:assert";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Executor, RunningTrial, TrialEvents, TrialLaunch } from "../../../src/engine/executors/executor.ts";
import type { Result, TrialStatus, TrialView } from "../../../src/engine/interfaces.ts";
import { fromUserCallbacks, type TrialSnapshot, type TuneCallback } from "../../../src/engine/loggers/callbacks.ts";
import { Runner, type RunSummary } from "../../../src/engine/runner.ts";
import { grid } from "../../../src/engine/space/domains.ts";

function view(status: TrialStatus = "RUNNING", extra: Partial<TrialView> & { attempts?: number; error?: string } = {}): TrialView {
  return {
    id: "t_00000", config: { lr: 0.1, model: { width: 8 } }, status, iteration: 2,
    lastResult: { training_iteration: 2, loss: 0.5, config: { lr: 0.1 } }, checkpointIteration: undefined,
    resources: { cpu: 1, gpu: 0 }, ...extra,
  };
}

const summary = (trials: TrialView[]): RunSummary => ({ outcome: "completed", expDir: "/x", trials, errored: 0 });

describe("fromUserCallbacks", () => {
  it("hands out deep-frozen copies: a callback cannot change the runner's trial or result", () => {
    const trial = view();
    const result: Result = { training_iteration: 3, loss: 0.25, nested: { a: 1 } };
    const seen: { trial?: TrialSnapshot; result?: Readonly<Result> } = {};
    const cb = fromUserCallbacks([{
      onTrialResult(t, r) {
        seen.trial = t;
        seen.result = r;
        (t.config as Record<string, unknown>).lr = 99;
      },
    }], () => {});
    const logged: string[] = [];
    const guarded = fromUserCallbacks([{ onTrialResult: (t) => { (t.config as Record<string, unknown>).lr = 99; } }], (m) => logged.push(m));
    cb.onTrialResult!(trial, result);
    guarded.onTrialResult!(trial, result);
    assert.equal(trial.config.lr, 0.1);
    assert.ok(Object.isFrozen(seen.trial) && Object.isFrozen(seen.trial!.config) && Object.isFrozen(seen.trial!.config.model));
    assert.ok(Object.isFrozen(seen.result!.nested));
    assert.notEqual(seen.result, result);
    assert.deepEqual(seen.result, result);
    assert.match(logged[0]!, /^callbacks\[0\]\.onTrialResult failed on trial t_00000: Cannot assign to read only property 'lr'/);
  });

  it("reports what a callback throws once per callback and hook, counts the rest, and calls the others", () => {
    const logged: string[] = [];
    const calls: string[] = [];
    const callbacks: TuneCallback[] = [
      { onTrialStart: () => { throw new Error("boom"); } },
      { onTrialStart: (t) => { calls.push(t.id); } },
    ];
    const cb = fromUserCallbacks(callbacks, (m) => logged.push(m));
    for (let i = 0; i < 3; i++) cb.onTrialStart!(view(), 1);
    cb.onExperimentEnd!(summary([]));
    assert.deepEqual(calls, ["t_00000", "t_00000", "t_00000"]);
    assert.deepEqual(logged, [
      "callbacks[0].onTrialStart failed on trial t_00000: boom (the experiment goes on; later failures of this hook are counted, not shown)",
      "callbacks[0].onTrialStart failed 3 times in all",
    ]);
  });

  it("does not wait for async callbacks, reports their rejections, and settles when they are done", async () => {
    const logged: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let finished = false;
    const cb = fromUserCallbacks([
      { async onTrialResult() { await gate; finished = true; } },
      { async onTrialResult() { throw new Error("async boom"); } },
    ], (m) => logged.push(m));
    cb.onTrialResult!(view(), { training_iteration: 1 });
    assert.equal(finished, false, "the runner's call returned before the callback finished");
    release();
    await cb.settled();
    assert.equal(finished, true);
    assert.match(logged[0]!, /^callbacks\[1\]\.onTrialResult failed on trial t_00000: async boom/);
  });

  it("calls onTrialComplete for TERMINATED and ERROR, onTrialError only for a final ERROR", () => {
    const events: string[] = [];
    const cb = fromUserCallbacks([{
      onTrialComplete: (t) => { events.push(`complete ${t.status}${t.error ? ` (${t.error})` : ""}`); },
      onTrialError: (t, e) => { events.push(`error ${e}`); },
    }], () => {});
    cb.onTrialEnd!(view("PAUSED"), "PAUSED", "paused by the scheduler");
    cb.onTrialEnd!(view("PENDING"), "RETRY", "exit 1");
    cb.onTrialEnd!(view("TERMINATED"), "TERMINATED", "stopped early");
    cb.onTrialEnd!(view("ERROR"), "ERROR", "trial t_00000 exited with code 1");
    assert.deepEqual(events, [
      "complete TERMINATED",
      "error trial t_00000 exited with code 1",
      "complete ERROR (trial t_00000 exited with code 1)",
    ]);
  });

  it("gives onExperimentEnd a frozen summary of every trial, attempts included", () => {
    let got: unknown;
    const cb = fromUserCallbacks([{ onExperimentEnd: (s) => { got = s; } }], () => {});
    cb.onExperimentEnd!({ ...summary([view("TERMINATED", { attempts: 2 }), view("ERROR", { id: "t_00001", error: "oom" } as never)]), errored: 1 });
    assert.deepEqual(JSON.parse(JSON.stringify(got)), {
      outcome: "completed", expDir: "/x", errored: 1,
      trials: [
        { id: "t_00000", config: { lr: 0.1, model: { width: 8 } }, status: "TERMINATED", iteration: 2, lastResult: { training_iteration: 2, loss: 0.5, config: { lr: 0.1 } }, attempt: 2 },
        { id: "t_00001", config: { lr: 0.1, model: { width: 8 } }, status: "ERROR", iteration: 2, lastResult: { training_iteration: 2, loss: 0.5, config: { lr: 0.1 } }, attempt: 1, error: "oom" },
      ],
    });
    assert.ok(Object.isFrozen((got as { trials: unknown[] }).trials));
  });

  it("survives a config holding a function (it is left out of the copy)", () => {
    let seen: TrialSnapshot | undefined;
    const cb = fromUserCallbacks([{ onTrialStart: (t) => { seen = t; } }], () => {});
    cb.onTrialStart!(view("RUNNING", { config: { f: () => 1, lr: 1 } }), 1);
    assert.deepEqual(seen!.config, { lr: 1 });
  });
});

/** Each trial reports `iters` results on successive turns of the event loop, then exits 0. */
class CountingExecutor implements Executor {
  start(_launch: TrialLaunch, events: TrialEvents): RunningTrial {
    let i = 0;
    let stopped = false;
    const step = (): void => {
      if (stopped || i >= 3) return events.onExit({ code: stopped ? null : 0, signal: stopped ? "SIGTERM" : null, stderrTail: "" });
      i += 1;
      events.onReport({ result: { loss: 1 / i } });
      setImmediate(step);
    };
    setImmediate(step);
    return { pid: undefined, stop: async () => { stopped = true; } };
  }
  async close(): Promise<void> {}
}

describe("user callbacks in a real runner", () => {
  it("see every result and the end, while throwing and async callbacks never disturb the experiment", async () => {
    const expDir = mkdtempSync(join(tmpdir(), "tunelab-callbacks-"));
    const seen: string[] = [];
    const logged: string[] = [];
    const user = fromUserCallbacks([
      {
        onTrialResult: (t, r) => { seen.push(`${t.id}@${r.training_iteration}`); },
        onTrialComplete: (t) => { seen.push(`${t.id} ${t.status}`); },
        onExperimentEnd: (s) => { seen.push(`end ${s.outcome} ${s.trials.length}`); },
      },
      { onTrialResult: () => { throw new Error("user bug"); } },
      { onTrialResult: async (_t, r) => { if (r.training_iteration === 2) throw new Error("async user bug"); } },
      { onTrialStart: (t) => { (t as { status: string }).status = "ERROR"; } },
    ], (m) => logged.push(m));
    const runner = new Runner({
      config: { trainable: { command: ["sim"] }, space: { x: grid([1, 2]) }, metric: "loss", mode: "min", concurrency: 1 },
      configPath: join(expDir, "tune.config.ts"), expDir, seed: 1, executor: new CountingExecutor(), capacity: { cpus: 2, gpus: 0 },
      callbacks: [user],
    });
    const result = await runner.run();
    await user.settled();
    assert.equal(result.outcome, "completed");
    assert.ok(result.trials.every((t) => t.status === "TERMINATED"));
    const ids = result.trials.map((t) => t.id);
    assert.deepEqual(seen, [
      `${ids[0]}@1`, `${ids[0]}@2`, `${ids[0]}@3`, `${ids[0]} TERMINATED`,
      `${ids[1]}@1`, `${ids[1]}@2`, `${ids[1]}@3`, `${ids[1]} TERMINATED`,
      "end completed 2",
    ]);
    assert.equal(logged.filter((m) => m.includes("callbacks[1].onTrialResult failed on trial")).length, 1);
    assert.ok(logged.includes("callbacks[1].onTrialResult failed 6 times in all"));
    assert.equal(logged.filter((m) => m.includes("async user bug")).length, 1);
    assert.match(logged.find((m) => m.startsWith("callbacks[3]"))!, /onTrialStart failed on trial .*read only property 'status'/);
  });
});
