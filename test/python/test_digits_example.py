"""examples/digits/train.py under a simulated runner: it learns, and a restore continues exactly."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXAMPLE = os.path.join(REPO, "examples", "digits")
CONFIG = {"lr": 0.05, "momentum": 0.9, "l2": 1e-4, "batch_size": 64, "hidden": 16, "epochs": 3, "seed": 1}


def run_trial(trial_dir, config, restore="", iteration=0):
    """Start train:train_fn as the runner does and return the decoded report lines."""
    os.makedirs(trial_dir, exist_ok=True)
    params = os.path.join(trial_dir, "params.json")
    with open(params, "w") as handle:
        json.dump(config, handle)
    read_fd, write_fd = os.pipe()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUNELAB_")}
    env.update(PYTHONPATH=os.path.join(REPO, "python"), TUNELAB_TRIAL_ID="digits_0", TUNELAB_TRIAL_DIR=trial_dir,
               TUNELAB_CONFIG=params, TUNELAB_RESTORE=restore, TUNELAB_ITERATION=str(iteration),
               TUNELAB_REPORT_FD=str(write_fd))
    proc = subprocess.Popen([sys.executable, "-m", "tunelab.run", "train:train_fn"], cwd=EXAMPLE, env=env,
                            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        lines = [json.loads(line) for line in pipe]
    _, stderr = proc.communicate(timeout=60)
    if proc.returncode != 0:
        raise AssertionError("trial failed: %s" % stderr.decode())
    for number, line in enumerate(lines, start=iteration + 1):
        if "checkpoint" in line:  # the runner moves each reported checkpoint into place
            shutil.move(line["checkpoint"], os.path.join(trial_dir, "checkpoint_%06d" % number))
    return lines


class DigitsExample(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="tunelab-digits-")
        self.addCleanup(shutil.rmtree, self.root)

    def test_reports_every_epoch_with_a_checkpoint_and_learns(self):
        lines = run_trial(os.path.join(self.root, "a"), CONFIG)
        self.assertEqual([line["result"]["epoch"] for line in lines], [1, 2, 3])
        self.assertTrue(all("checkpoint" in line for line in lines))
        self.assertEqual(set(lines[0]["result"]), {"epoch", "val_acc", "val_loss", "train_loss", "epoch_s"})
        self.assertGreater(lines[-1]["result"]["val_acc"], 0.8)

    def test_a_restored_trial_continues_from_its_epoch_exactly(self):
        whole = run_trial(os.path.join(self.root, "whole"), CONFIG)
        part_dir = os.path.join(self.root, "part")
        run_trial(part_dir, dict(CONFIG, epochs=2))
        rest = run_trial(part_dir, CONFIG, restore=os.path.join(part_dir, "checkpoint_000002"), iteration=2)
        self.assertEqual([line["result"]["epoch"] for line in rest], [3])
        for key in ("val_acc", "val_loss", "train_loss"):
            self.assertAlmostEqual(rest[0]["result"][key], whole[2]["result"][key], places=12)


if __name__ == "__main__":
    unittest.main()
