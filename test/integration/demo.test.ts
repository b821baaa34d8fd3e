/** The README's demo through the built `tunelab` command, shortened to two trials. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT, experimentDir, stateOf, tempStorage } from "./helpers.ts";

describe("demo", () => {
  it("bin/tunelab.mjs runs the digits example and prints the best config", () => {
    assert.ok(existsSync(join(ROOT, "dist/cli.mjs")), "npm run build first");
    const storage = tempStorage();
    const run = spawnSync(process.execPath, ["bin/tunelab.mjs", "run", "examples/digits/tune.config.ts", "--storage", storage, "--samples", "1"], {
      cwd: ROOT, encoding: "utf8", timeout: 120_000,
    });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Experiment completed\./);
    assert.match(run.stdout, /Best config: \{"lr":/);
    const state = stateOf(experimentDir(storage));
    assert.equal(state.trials.length, 2, "samples 1 × a grid of 2");
    for (const t of state.trials) {
      assert.equal(t.status, "TERMINATED");
      assert.equal(t.lastResult?.training_iteration, 12);
      assert.ok(Number(t.lastResult?.val_acc) > 0.5, `val_acc ${String(t.lastResult?.val_acc)}`);
      assert.ok(t.checkpoints.length >= 1 && t.checkpoints.length <= 3, "keep 2 best + latest");
    }
  });
});
