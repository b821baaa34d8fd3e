import assert from "node:assert/strict";
import { delimiter } from "node:path";
import { describe, it } from "node:test";
import { buildLaunch, newReportTag, trainableArgv, type LaunchOptions } from "../../../src/engine/trainables/launch.ts";
import { pythonPackageDir } from "../../../src/engine/paths.ts";

const base: LaunchOptions = {
  trainable: { command: ["./train.sh", "--fast"], cwd: "scripts", env: { MY_VAR: "1", TUNELAB_TRIAL_ID: "user-cannot-override" } },
  configPath: "/proj/tune.config.ts",
  trialId: "exp_00001",
  trialDir: "/proj/.tunelab/exp/exp_00001",
  expDir: "/proj/.tunelab/exp",
  iteration: 0,
  resources: { cpu: 1, gpu: 0 },
  gpuIds: [],
  reportTag: "@tunelab:0123456789:",
};

void describe("buildLaunch", () => {
  void it("runs a command as given, in its cwd relative to the config file, with the protocol env", () => {
    const l = buildLaunch({ ...base, checkpointFrequency: 2, checkpointAtEnd: true, attempt: 1 });
    assert.deepEqual(l.argv, ["./train.sh", "--fast"]);
    assert.equal(l.cwd, "/proj/scripts");
    assert.equal(l.attempt, 1);
    assert.deepEqual(l.env, {
      MY_VAR: "1",
      TUNELAB_TRIAL_ID: "exp_00001",
      TUNELAB_TRIAL_DIR: "/proj/.tunelab/exp/exp_00001",
      TUNELAB_CONFIG: "/proj/.tunelab/exp/exp_00001/params.json",
      TUNELAB_ITERATION: "0",
      TUNELAB_EXPERIMENT_DIR: "/proj/.tunelab/exp",
      TUNELAB_CHECKPOINT_FREQ: "2",
      TUNELAB_CHECKPOINT_AT_END: "1",
      TUNELAB_REPORT_TAG: "@tunelab:0123456789:",
      PYTHONUNBUFFERED: "1",
    });
  });

  void it("defaults cwd to the config file's directory and passes a restore checkpoint", () => {
    const l = buildLaunch({ ...base, trainable: { command: ["x"] }, restore: "/proj/.tunelab/exp/exp_00001/checkpoint_000003", iteration: 3 });
    assert.equal(l.cwd, "/proj");
    assert.equal(l.env.TUNELAB_RESTORE, "/proj/.tunelab/exp/exp_00001/checkpoint_000003");
    assert.equal(l.env.TUNELAB_ITERATION, "3");
  });

  void it("runs a Python trainable through tunelab.run with the package prepended to PYTHONPATH", () => {
    const l = buildLaunch({ ...base, trainable: { python: "train:objective" }, baseEnv: { PYTHONPATH: "/site" } });
    assert.deepEqual(l.argv, ["python3", "-m", "tunelab.run", "train:objective"]);
    assert.equal(l.env.PYTHONPATH, `${pythonPackageDir()}${delimiter}/site`);
    const custom = buildLaunch({ ...base, trainable: { python: "m:C", interpreter: ".venv/bin/python" }, baseEnv: {} });
    assert.equal(custom.argv[0], ".venv/bin/python");
    assert.equal(custom.env.PYTHONPATH, pythonPackageDir());
  });

  void it("gives each launch a fresh random report tag", () => {
    const { reportTag: _, ...rest } = base;
    assert.notEqual(buildLaunch(rest).env.TUNELAB_REPORT_TAG, buildLaunch(rest).env.TUNELAB_REPORT_TAG);
    assert.match(newReportTag(), /^@tunelab:[0-9a-f]{10}:$/);
  });
});

void describe("interpreter choice", () => {
  void it("uses the config's interpreter, else TUNELAB_PYTHON, else python3", () => {
    assert.deepEqual(trainableArgv({ python: "m:f", interpreter: "/opt/py" }, { TUNELAB_PYTHON: "/usr/bin/python3" }).slice(0, 1), ["/opt/py"]);
    assert.deepEqual(trainableArgv({ python: "m:f" }, { TUNELAB_PYTHON: "/usr/bin/python3" }).slice(0, 1), ["/usr/bin/python3"]);
    assert.deepEqual(trainableArgv({ python: "m:f" }, {}).slice(0, 1), ["python3"]);
  });
});
