/** Search algorithms and schedulers in real runs with the Python trainable. */
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BEHAVIOURS, experimentDir, journal, runCli, stateOf, tempStorage } from "./helpers.ts";

describe("algorithms in real runs", () => {
  it("TPE with ASHA: every suggestion in the space, the weak trials stopped at a rung", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 10, concurrency: 2, search: { kind: "tpe", nStartupTrials: 4 },
      scheduler: { kind: "asha", maxT: 8, gracePeriod: 2, reductionFactor: 2 }, space_extra: { iters: 8 },
    });
    assert.equal(run.code, 0, run.stderr);
    const state = stateOf(experimentDir(storage));
    assert.equal(state.trials.length, 10);
    for (const t of state.trials) assert.ok((t.config.x as number) >= 0 && (t.config.x as number) <= 1);
    // ASHA decides at its rungs (2, 4) and at maxT (8); reports after a decision are dropped.
    const stopped = state.trials.filter((t) => /stopped early by the scheduler/.test(t.stoppedBy ?? ""));
    for (const t of stopped) assert.ok([2, 4, 8].includes(t.lastResult?.training_iteration as number), `${t.id} stopped at a rung`);
    assert.ok(stopped.some((t) => (t.lastResult?.training_iteration as number) < 8), "ASHA stopped some trials early");
  });

  it("HyperBand pauses trials at rungs and resumes the best from their checkpoints", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 6, concurrency: 2, scheduler: { kind: "hyperband", maxT: 9, reductionFactor: 3 },
      space_extra: { iters: 9, ckpt_every: 1 },
    });
    assert.equal(run.code, 0, run.stderr);
    const events = journal(experimentDir(storage));
    const resumed = events.filter((e) => e.t === "start" && e.attempt > 1 && e.iteration > 0);
    assert.ok(resumed.length >= 1, "some trial restarted from a checkpoint after a pause");
    assert.ok(stateOf(experimentDir(storage)).trials.every((t) => t.status === "TERMINATED"));
  });

  it("PBT exploits better trials: config changes journaled, policy files in Ray's format", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 4, concurrency: 4, executor: { kind: "local", cpus: 4 },
      scheduler: { kind: "pbt", timeAttr: "training_iteration", perturbationInterval: 2, hyperparamMutations: { x: { __tunelab: "uniform", lower: 0, upper: 1 } }, quantileFraction: 0.25 },
      space_extra: { iters: 12, ckpt_every: 1, sleep: 0.05 },
    });
    assert.equal(run.code, 0, run.stderr);
    const dir = experimentDir(storage);
    const exploits = journal(dir).filter((e) => e.t === "config");
    assert.ok(exploits.length >= 1, "at least one exploit");
    assert.ok(existsSync(join(dir, "pbt_global.txt")));
    const row = JSON.parse(readFileSync(join(dir, "pbt_global.txt"), "utf8").split("\n")[0]!) as unknown[];
    assert.equal(row.length, 6, "Ray's six fields");
  });

  it("PB2 exploits better trials with configs inside hyperparamBounds, policy files as PBT's", async () => {
    const storage = tempStorage();
    const run = await runCli(["run", BEHAVIOURS, "--storage", storage, "--quiet"], {
      samples: 4, concurrency: 4, executor: { kind: "local", cpus: 4 },
      scheduler: { kind: "pb2", timeAttr: "training_iteration", perturbationInterval: 2, hyperparamBounds: { x: [0.2, 0.9] } },
      space_extra: { iters: 12, ckpt_every: 1, sleep: 0.05 },
    });
    assert.equal(run.code, 0, run.stderr);
    const dir = experimentDir(storage);
    const exploits = journal(dir).filter((e) => e.t === "config");
    assert.ok(exploits.length >= 1, "at least one exploit");
    for (const e of exploits) {
      const x = (e.config as { x: number }).x;
      // The first exploits copy the donor's sampled x (no reward change on record yet); later ones are the bandit's, inside the bounds.
      assert.ok(x >= 0 && x <= 1, `x ${x}`);
    }
    const rows = readFileSync(join(dir, "pbt_global.txt"), "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown[]);
    assert.equal(rows.length, exploits.length, "one policy row per exploit");
    assert.ok(rows.every((r) => r.length === 6), "Ray's six fields");
    assert.ok(stateOf(dir).trials.every((t) => t.status === "TERMINATED"));
  });
});
