/** The runner carries out every kind of scheduler decision (with an in-process executor). */
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Decision, Result, Scheduler, TrialView } from "../../../src/engine/interfaces.ts";
import { Runner } from "../../../src/engine/runner.ts";
import { FifoScheduler } from "../../../src/engine/schedulers/fifo.ts";
import { grid } from "../../../src/engine/space/domains.ts";
import { parseJournal } from "../../../src/engine/store/journal.ts";
import { replay } from "../../../src/engine/store/state.ts";
import type { TuneConfig } from "../../../src/engine/config.ts";
import { SimExecutor } from "./sim-executor.ts";

/** Only ever starts new trials: PAUSED ones wait for a decision. */
class NewTrialsFirst extends FifoScheduler {
  override chooseTrialToRun(c: readonly TrialView[]) {
    return c.find((t) => t.status === "PENDING") ?? null;
  }
}

/** FIFO plus a script: `onResult(trial, result)` may return a decision, `actions` are handed out once. */
class ScriptedScheduler extends FifoScheduler implements Scheduler {
  actions: { trialId: string; decision: Decision }[] = [];
  constructor(private readonly script: (trial: TrialView, result: Result, self: ScriptedScheduler) => Decision | undefined) {
    super();
  }
  override onTrialResult(trial: TrialView, result: Result): Decision {
    return this.script(trial, result, this) ?? "CONTINUE";
  }
  takeActions() {
    const a = this.actions;
    this.actions = [];
    return a;
  }
}

async function run(space: TuneConfig["space"], scheduler: Scheduler, extra: Partial<TuneConfig> = {}) {
  const expDir = mkdtempSync(join(tmpdir(), "tunelab-runner-"));
  const executor = new SimExecutor();
  const runner = new Runner({
    config: { trainable: { command: ["sim"] }, space, metric: "score", mode: "max", concurrency: 1, ...extra },
    configPath: join(expDir, "tune.config.ts"), expDir, seed: 1, executor, capacity: { cpus: 4, gpus: 0 }, scheduler,
  });
  const summary = await runner.run();
  const state = replay(parseJournal(readFileSync(join(expDir, "events.jsonl"), "utf8")).events);
  return { summary, state, executor, expDir };
}

describe("runner decisions", () => {
  it("PAUSE stops a trial, which later resumes from its latest checkpoint", async () => {
    let paused = false;
    const { summary, executor, state } = await run({ x: 1, iters: 6 }, new ScriptedScheduler((t, r) => {
      if (!paused && r.training_iteration === 3) {
        paused = true;
        return "PAUSE";
      }
      return undefined;
    }));
    assert.equal(summary.outcome, "completed");
    assert.deepEqual(executor.starts.map((s) => s.iteration), [0, 3]);
    assert.equal(state.trials[0]!.status, "TERMINATED");
    assert.equal(state.trials[0]!.lastResult?.training_iteration, 6);
  });

  it("EXPLOIT copies the donor's latest checkpoint and config, then resumes the trial from it", async () => {
    let donorId = "";
    const { executor, state, expDir } = await run({ x: grid([10, 1]), iters: 6 }, new ScriptedScheduler((t, r) => {
      // Trial 0 (x=10) runs first to the end; trial 1 (x=1) exploits it at iteration 2.
      if (t.config.x === 10) donorId = t.id;
      if (t.config.x === 1 && r.training_iteration === 2) return { kind: "EXPLOIT", donorId, config: { x: 11, iters: 6 }, note: "test" };
      return undefined;
    }));
    const [donor, exploiter] = state.trials;
    assert.equal(exploiter!.config.x, 11, "the new config is journaled");
    const restart = executor.starts.filter((s) => s.trialId === exploiter!.id)[1]!;
    assert.equal(restart.iteration, 6, "resumes at the donor checkpoint's iteration");
    assert.deepEqual(restart.restoredFrom?.config, donor!.config, "the checkpoint is the donor's");
    assert.deepEqual(JSON.parse(readFileSync(join(expDir, exploiter!.id, "params.json"), "utf8")), { x: 11, iters: 6 });
    assert.ok(!existsSync(join(expDir, exploiter!.id, "checkpoint_000002")) || exploiter!.checkpoints.some((c) => c.iteration === 2));
  });

  it("takeActions STOPs a PAUSED trial without starting it again", async () => {
    let pausedId = "";
    class Scripted extends ScriptedScheduler {
      override chooseTrialToRun(c: readonly TrialView[]) {
        return NewTrialsFirst.prototype.chooseTrialToRun.call(this, c);
      }
    }
    const { executor, state } = await run({ x: grid([1, 2]), iters: 4 }, new Scripted((t, r, self) => {
      if (!pausedId && r.training_iteration === 2) {
        pausedId = t.id;
        return "PAUSE";
      }
      if (pausedId && t.id !== pausedId && r.training_iteration === 1) self.actions.push({ trialId: pausedId, decision: "STOP" });
      return undefined;
    }));
    assert.equal(executor.starts.filter((s) => s.trialId === pausedId).length, 1);
    const paused = state.trials.find((t) => t.id === pausedId)!;
    assert.equal(paused.status, "TERMINATED");
    assert.match(paused.stoppedBy ?? "", /stopped early by the scheduler/);
  });

  it("RESOURCES restarts the trial with its new resources", async () => {
    let changed = false;
    const { executor, state } = await run({ x: 1, iters: 4 }, new ScriptedScheduler((_t, r) => {
      if (!changed && r.training_iteration === 2) {
        changed = true;
        return { kind: "RESOURCES", resources: { cpu: 3, gpu: 0 } };
      }
      return undefined;
    }));
    assert.deepEqual(executor.starts.map((s) => [s.iteration, s.resources.cpu]), [[0, 1], [2, 3]]);
    assert.deepEqual(state.trials[0]!.resources, { cpu: 3, gpu: 0 });
  });

  it("a scheduler that throws ends the experiment with the error instead of hanging", async () => {
    const { summary } = await run({ x: 1, iters: 4 }, new ScriptedScheduler(() => {
      throw new Error("scheduler bug");
    }));
    assert.equal(summary.outcome, "error");
    assert.match(summary.message ?? "", /internal error: Error: scheduler bug/);
  });

  it("a scheduler that never resumes its paused trials ends the experiment with a clear error", async () => {
    class Stuck extends ScriptedScheduler {
      override chooseTrialToRun(c: readonly TrialView[]) {
        return NewTrialsFirst.prototype.chooseTrialToRun.call(this, c);
      }
    }
    const { summary } = await run({ x: 1, iters: 4 }, new Stuck((_t, r) => (r.training_iteration === 2 ? "PAUSE" : undefined)));
    assert.equal(summary.outcome, "error");
    assert.match(summary.message ?? "", /scheduler left 1 trial\(s\) waiting \(\w+_00000\) with nothing running/);
  });
});
