/** The runner with real Python trials: files, checkpoints, retries, hangs, garbage, errors. */
import { strict as assert } from "node:assert";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BEHAVIOURS, experimentDir, journal, runCli, stateOf, tempStorage } from "./helpers.ts";

const grid = (values: unknown[]) => ({ __tunelab: "grid", values });

describe("runner with real Python trials", () => {
  it("writes Ray Tune's trial files and keeps the best checkpoint plus the latest", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 2, space_extra: { iters: 6, ckpt_every: 2 },
      checkpoints: { keep: 1, scoreAttr: "score", scoreOrder: "min" },
    });
    assert.equal(run.code, 0, run.stderr);
    const dir = experimentDir(storage);
    const state = stateOf(dir);
    assert.equal(state.trials.length, 2);
    for (const trial of state.trials) {
      assert.equal(trial.status, "TERMINATED");
      const tdir = join(dir, trial.id);
      assert.deepEqual(JSON.parse(readFileSync(join(tdir, "params.json"), "utf8")), trial.config);
      const results = readFileSync(join(tdir, "result.json"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(results.map((r) => r.training_iteration), [1, 2, 3, 4, 5, 6]);
      for (const r of results) {
        assert.equal(r.trial_id, trial.id);
        assert.deepEqual(r.config, trial.config);
        for (const key of ["time_this_iter_s", "time_total_s", "timestamp", "hostname", "pid", "done"]) assert.ok(key in r, key);
      }
      const header = readFileSync(join(tdir, "progress.csv"), "utf8").split("\n")[0]!.split(",");
      assert.ok(header.includes("score") && header.includes("config/x") && header.includes("training_iteration"), header.join(","));
      // score grows with the iteration, so with scoreOrder "min" the best is the first checkpoint.
      assert.deepEqual(readdirSync(tdir).filter((f) => f.startsWith("checkpoint_")).sort(), ["checkpoint_000002", "checkpoint_000006"]);
      assert.ok(existsSync(join(tdir, "checkpoint_000006", "state.json")));
      const events = readdirSync(tdir).filter((f) => f.startsWith("events.out.tfevents."));
      assert.equal(events.length, 1, "one TensorBoard event file per trial");
      assert.ok(readFileSync(join(tdir, events[0]!)).includes(Buffer.from("ray/tune/score")), "scores are logged as ray/tune/score");
      assert.deepEqual(trial.checkpoints.map((c) => c.iteration).sort(), [2, 6]);
    }
    assert.match(run.stdout, /Best trial \w+_0000[01]: score=/);
  });

  it("retries a crashed trial from its latest checkpoint", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 1, maxFailures: 1, space_extra: { iters: 6, ckpt_every: 2, crash_at: 5 },
    });
    assert.equal(run.code, 0, run.stderr);
    const dir = experimentDir(storage);
    const events = journal(dir);
    const starts = events.filter((e) => e.t === "start");
    assert.equal(starts.length, 2);
    assert.deepEqual(starts.map((e) => e.t === "start" && [e.attempt, e.iteration, e.restore ?? null]), [[1, 0, null], [2, 4, join(starts[0]!.t === "start" ? starts[0]!.id : "", "checkpoint_000004")]]);
    const ends = events.filter((e) => e.t === "end");
    assert.equal(ends[0]!.t === "end" && ends[0]!.retry, true);
    assert.match(ends[0]!.t === "end" ? ends[0]!.error ?? "" : "", /exited with code 1[\s\S]*simulated crash at iteration 5/);
    const trial = stateOf(dir).trials[0]!;
    assert.equal(trial.status, "TERMINATED");
    assert.equal(trial.failures, 1);
    assert.equal(trial.lastResult?.training_iteration, 6);
    assert.match(String(trial.lastResult?.restored_from), /checkpoint_000004$/);
    assert.match(readFileSync(join(dir, trial.id, "error.txt"), "utf8"), /simulated crash at iteration 5/);
  });

  it("ends a trial in ERROR after maxFailures while the others finish", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 1, maxFailures: 0, space_extra: { crash_at: grid([3, 0]) },
    });
    assert.equal(run.code, 3, "exit code 3 means some trials failed");
    const state = stateOf(experimentDir(storage));
    assert.deepEqual(state.trials.map((t) => t.status), ["ERROR", "TERMINATED"]);
    assert.match(state.trials[0]!.error ?? "", /trial \w+_00000 exited with code 1/);
    assert.equal(state.trials[1]!.lastResult?.training_iteration, 5);
  });

  it("stops a hung trial when its time budget runs out", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 1, stopGraceS: 1, stop: { __stopper: "trial_timeout", seconds: 4 }, space_extra: { hang_at: grid([2, 0]) },
    });
    assert.equal(run.code, 0, run.stderr);
    const [hung, fine] = stateOf(experimentDir(storage)).trials;
    assert.equal(hung!.status, "TERMINATED");
    assert.match(hung!.stoppedBy ?? "", /trial time budget of 4s used up/);
    assert.equal(hung!.lastResult?.training_iteration, 1);
    assert.equal(fine!.lastResult?.training_iteration, 5);
    assert.equal(fine!.stoppedBy, undefined);
  });

  it("fails only the trial that writes garbage on its report channel, and ignores look-alike stdout", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 1, maxFailures: 0, space_extra: { garbage_at: grid([2, 0]), noise: true },
    });
    assert.equal(run.code, 3);
    const dir = experimentDir(storage);
    const [bad, good] = stateOf(dir).trials;
    assert.equal(bad!.status, "ERROR");
    assert.match(bad!.error ?? "", /bad report from trial \w+_00000: .*not valid JSON.*this is not json/);
    assert.equal(good!.status, "TERMINATED");
    assert.equal(good!.resultCount, 5);
    assert.ok(journal(dir).every((e) => e.t !== "result" || e.r.score !== 1e9), "stdout noise was taken for a result");
    assert.match(readFileSync(join(dir, good!.id, "stdout.log"), "utf8"), /\{"result": \{"score": 1e9\}\}/);
  });

  it("refuses an invalid config, naming every key path and its line, and runs nothing", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage], {
      samples: 0, concurrency: 0, space_extra: { lr: { __tunelab: "loguniform", lower: 0, upper: 1, base: 10 } },
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /samples/);
    assert.match(run.stderr, /concurrency/);
    assert.match(run.stderr, /space\.lr: loguniform lower bound must be > 0/);
    assert.match(run.stderr, /tune\.config\.ts:\d+: error: samples/);
    assert.deepEqual(readdirSync(storage), []);
  });

  it("shares fake GPUs between fractional trials and gives each its CUDA_VISIBLE_DEVICES", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 4, concurrency: 4, executor: { kind: "local", cpus: 8, gpus: 2 }, resources: { cpu: 1, gpu: 0.5 },
      space_extra: { iters: 3, sleep: 0.3 },
    });
    assert.equal(run.code, 0, run.stderr);
    const dir = experimentDir(storage);
    const starts = journal(dir).filter((e) => e.t === "start");
    assert.equal(starts.length, 4);
    const devices = stateOf(dir).trials.map((t) => t.lastResult?.cuda).sort();
    assert.deepEqual(devices, ["0", "0", "1", "1"], "two half-GPU trials per device");
  });

  it("never runs more whole-GPU trials at once than there are GPUs", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 3, concurrency: 3, executor: { kind: "local", cpus: 8, gpus: 2 }, resources: { cpu: 1, gpu: 1 },
      space_extra: { iters: 3, sleep: 0.2 },
    });
    assert.equal(run.code, 0, run.stderr);
    let running = 0;
    let peak = 0;
    for (const e of journal(experimentDir(storage))) {
      if (e.t === "start") peak = Math.max(peak, ++running);
      if (e.t === "end") running--;
    }
    assert.equal(peak, 2);
    for (const t of stateOf(experimentDir(storage)).trials) assert.match(String(t.lastResult?.cuda), /^[01]$/);
  });

  it("stops every trial when the experiment's time budget is used up", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 2, timeBudgetS: 2, space_extra: { iters: 1000, sleep: 0.05 },
    });
    assert.equal(run.code, 0, run.stderr);
    const state = stateOf(experimentDir(storage));
    assert.equal(state.finished?.outcome, "time_budget");
    for (const t of state.trials) {
      assert.equal(t.status, "TERMINATED");
      assert.ok((t.lastResult?.training_iteration as number) < 1000);
    }
  });
});
