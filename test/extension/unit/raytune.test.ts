import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isRayTuneDir, readRayTuneDir } from "../../../src/extension/model/raytune.ts";
import { Experiment } from "../../../src/extension/model/experiment.ts";

/** A Ray Tune 2.x result dir as `tune.run` leaves it. */
export function writeRayDir(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const trialData = [{ trial_id: "ab12c_00000", status: "TERMINATED" }, { trial_id: "ab12c_00001", status: "ERROR" }];
  writeFileSync(join(dir, "experiment_state-2024-01-01_00-00-00.json"), JSON.stringify({ trial_data: trialData.map((t) => [JSON.stringify(t), "{}"]), runner_data: { _metric: "x", metric: "mean_accuracy", mode: "max" } }));
  const trial = (id: string, lr: number, accs: number[], error?: string): void => {
    const t = join(dir, `train_fn_${id}_${id.slice(-1)}_lr=${lr}_2024-01-01`);
    mkdirSync(join(t, "checkpoint_000001"), { recursive: true });
    writeFileSync(join(t, "checkpoint_000001", "model.pt"), "weights");
    writeFileSync(join(t, "params.json"), JSON.stringify({ lr }));
    writeFileSync(join(t, "result.json"), accs.map((a, i) => JSON.stringify({ mean_accuracy: a, training_iteration: i + 1, timestamp: 1704067200 + i })).join("\n") + "\n");
    writeFileSync(join(t, "progress.csv"), "mean_accuracy,training_iteration\n");
    if (error) writeFileSync(join(t, "error.txt"), error);
  };
  trial("ab12c_00000", 0.1, [0.5, 0.8]);
  trial("ab12c_00001", 0.01, [0.9, 0.7], "Traceback ...\nValueError: boom\n");
}

test("a Ray Tune result dir reads as trials with configs, best metric, checkpoints and errors", () => {
  const root = mkdtempSync(join(tmpdir(), "tl-ray-"));
  try {
    writeRayDir(root);
    assert.equal(isRayTuneDir(root), true);
    const s = readRayTuneDir(root);
    assert.equal(s.metric, "mean_accuracy");
    assert.equal(s.mode, "max");
    assert.deepEqual(s.trials.map((t) => [t.id, t.status, t.best, t.iteration]), [["ab12c_00000", "TERMINATED", 0.8, 2], ["ab12c_00001", "ERROR", 0.9, 2]]);
    assert.equal(s.trials[1]!.error, "ValueError: boom");
    const exp = new Experiment(root, "ray");
    assert.equal(exp.bestTrial()?.id, "ab12c_00001");
    assert.match(exp.trialDir("ab12c_00000"), /train_fn_ab12c_00000_0_lr=0.1_/);
    assert.equal(exp.state.trials[0]!.checkpoints[0]!.iteration, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
