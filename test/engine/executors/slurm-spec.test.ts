/**
 * The slurm executor's `arrays` key in tune.config.ts: validation of bad values, and that
 * createExecutor hands it to the executor's submitter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { validateConfig } from "../../../src/engine/space/validate.ts";
import { createExecutor } from "../../../src/engine/executors/index.ts";
import type { TuneConfig } from "../../../src/engine/config.ts";

const slurm = (extra: object): object => ({ trainable: { command: ["python", "train.py"] }, executor: { kind: "slurm", ...extra } });

test("executor.arrays: true and false are valid, anything else is an error naming the key", () => {
  assert.deepEqual(validateConfig(slurm({ arrays: false })), []);
  assert.deepEqual(validateConfig(slurm({ arrays: true })), []);
  const [d, ...more] = validateConfig(slurm({ arrays: "no" }));
  assert.equal(more.length, 0);
  assert.deepEqual(d?.path, ["executor", "arrays"]);
  assert.match(d?.message ?? "", /executor\.arrays must be true or false \(got "no"\)/);
});

test("createExecutor hands arrays to the slurm executor (default on)", async () => {
  for (const [extra, expected] of [[{ arrays: false }, false], [{}, true]] as const) {
    const { executor } = createExecutor(slurm(extra) as unknown as TuneConfig, { cpus: 1, gpus: 0 }, { configPath: "/tmp/tune.config.ts" });
    const submitter = (executor as unknown as { submitter: { arrays: boolean } }).submitter;
    assert.equal(submitter.arrays, expected);
    await executor.close(0);
  }
});
