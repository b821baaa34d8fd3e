"""The Python client and `tunelab.run`, tested against real processes and pipes as a runner sees them.

Run: python3 -m unittest discover -s test/python
"""

import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "python")
FIXTURES = os.path.join(HERE, "fixtures")
sys.path.insert(0, PYTHON_DIR)

import tunelab  # noqa: E402
from tunelab import _encode, _session  # noqa: E402

TIMEOUT_S = 20


def read_lines(fd, count, timeout=TIMEOUT_S):
    """Read `count` complete lines from a pipe, waiting on select (never sleeping blindly)."""
    buffer, lines = b"", []
    deadline = time.monotonic() + timeout
    while len(lines) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("timed out waiting for %d lines, got %r" % (count, lines))
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            lines.append(json.loads(line.decode("utf-8")))
    return lines


def read_all(fd):
    lines = read_lines(fd, 10 ** 9)
    os.close(fd)
    return lines


class Trial:
    """A trial process started the way the runner starts one: argv, cwd, env, a pipe on a report fd."""

    def __init__(self, target, config=None, extra_env=None, trial_dir=None, use_fd=True, args=()):
        self.trial_dir = trial_dir or tempfile.mkdtemp(prefix="tunelab-test-trial-")
        config_path = os.path.join(self.trial_dir, "params.json")
        with open(config_path, "w") as handle:
            json.dump(config or {}, handle)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUNELAB_")}
        env.update({
            "PYTHONPATH": PYTHON_DIR,
            "TUNELAB_TRIAL_ID": "t0001",
            "TUNELAB_TRIAL_DIR": self.trial_dir,
            "TUNELAB_CONFIG": config_path,
            "TUNELAB_ITERATION": "0",
            "TUNELAB_EXPERIMENT_DIR": os.path.dirname(self.trial_dir),
            "TUNELAB_CHECKPOINT_FREQ": "0",
            "TUNELAB_CHECKPOINT_AT_END": "0",
        })
        pass_fds = ()
        self.read_fd = None
        if use_fd:
            self.read_fd, write_fd = os.pipe()
            env["TUNELAB_REPORT_FD"] = str(write_fd)
            pass_fds = (write_fd,)
        env.update(extra_env or {})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tunelab.run", target] + list(args), cwd=FIXTURES, env=env,
            pass_fds=pass_fds, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        if use_fd:
            os.close(write_fd)

    def finish(self):
        stdout, stderr = self.proc.communicate(timeout=TIMEOUT_S)
        lines = read_all(self.read_fd) if self.read_fd is not None else []
        self.read_fd = None
        return self.proc.returncode, lines, stdout.decode(), stderr.decode()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdout, self.proc.stderr):
            stream.close()
        if self.read_fd is not None:
            os.close(self.read_fd)
        shutil.rmtree(self.trial_dir, ignore_errors=True)


class ClientInProcess(unittest.TestCase):
    def setUp(self):
        _session._reset_for_tests()
        self.addCleanup(_session._reset_for_tests)

    def test_nan_is_rejected_with_the_metric_named(self):
        for value in (float("nan"), float("inf"), -math.inf):
            with self.assertRaises(ValueError) as caught:
                _encode.encode_report({"acc": 0.5, "val_loss": value})
            self.assertIn("'val_loss'", str(caught.exception))
            self.assertIn("NaN or Infinity", str(caught.exception))

    def test_nan_nested_in_a_dict_is_named_by_its_path(self):
        with self.assertRaises(ValueError) as caught:
            _encode.encode_report({"losses": {"val": [1.0, float("nan")]}})
        self.assertIn("losses.val[1]", str(caught.exception))

    def test_report_rejects_nan_before_writing_anything(self):
        with mock.patch.dict(os.environ, {"TUNELAB_REPORT_TAG": "@tunelab:abc:"}), \
                mock.patch.object(_session, "_TagChannel") as channel:
            with self.assertRaises(ValueError):
                tunelab.report({"loss": float("nan")})
            channel.assert_not_called()

    def test_unserializable_metric_is_named(self):
        with self.assertRaises(TypeError) as caught:
            _encode.encode_report({"model": object()})
        self.assertIn("'model'", str(caught.exception))

    def test_numpy_like_scalars_are_unwrapped(self):
        class Scalar:
            def item(self):
                return 0.25
        line = _encode.encode_report({"acc": Scalar()})
        self.assertEqual(json.loads(line), {"result": {"acc": 0.25}})

    def test_a_line_over_one_mebibyte_is_refused(self):
        with self.assertRaises(ValueError) as caught:
            _encode.encode_report({"blob": "x" * (1024 * 1024)})
        self.assertIn("1 MiB", str(caught.exception))

    def test_lines_are_single_line_json_even_with_newlines_in_strings(self):
        line = _encode.encode_report({"note": "a\nb", "ünï": "çødé"}, "/tmp/ckpt")
        self.assertTrue(line.endswith(b"\n"))
        self.assertEqual(line.count(b"\n"), 1)
        self.assertEqual(json.loads(line), {"result": {"note": "a\nb", "ünï": "çødé"}, "checkpoint": "/tmp/ckpt"})

    def test_checkpoint_dir_is_fresh_and_unique_under_staging(self):
        trial_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, trial_dir)
        os.makedirs(os.path.join(trial_dir, ".staging", "ckpt-2"))  # left over by a crashed run
        with mock.patch.dict(os.environ, {"TUNELAB_TRIAL_DIR": trial_dir}):
            paths = [tunelab.checkpoint_dir() for _ in range(4)]
        self.assertEqual(len(set(paths)), 4)
        for path in paths:
            self.assertEqual(os.path.dirname(path), os.path.join(trial_dir, ".staging"))
            self.assertEqual(os.listdir(path), [])
        self.assertNotIn(os.path.join(trial_dir, ".staging", "ckpt-2"), paths)

    def test_reporting_a_missing_checkpoint_dir_is_an_error(self):
        with mock.patch.dict(os.environ, {"TUNELAB_REPORT_TAG": "@tunelab:abc:"}):
            with self.assertRaises(ValueError) as caught:
                tunelab.report({"a": 1}, checkpoint="/nonexistent/ckpt")
        self.assertIn("not a directory", str(caught.exception))

    def test_outside_tunelab_the_config_is_empty_and_nothing_resumes(self):
        clean = {k: v for k, v in os.environ.items() if not k.startswith("TUNELAB_")}
        with mock.patch.dict(os.environ, clean, clear=True):
            self.assertFalse(tunelab.is_tunelab())
            self.assertEqual(tunelab.get_config(), {})
            self.assertIsNone(tunelab.get_checkpoint())
            self.assertIsNone(tunelab.get_trial_id())
            self.assertEqual(tunelab.get_iteration(), 0)

    def test_config_is_loaded_once_from_tunelab_config(self):
        trial_dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, trial_dir)
        path = os.path.join(trial_dir, "params.json")
        with open(path, "w") as handle:
            json.dump({"lr": 0.1}, handle)
        env = {"TUNELAB_CONFIG": path, "TUNELAB_RESTORE": "", "TUNELAB_ITERATION": "7"}
        with mock.patch.dict(os.environ, env):
            first = tunelab.get_config()
            os.remove(path)
            self.assertIs(tunelab.get_config(), first)
            self.assertEqual(first, {"lr": 0.1})
            self.assertIsNone(tunelab.get_checkpoint())  # empty means a fresh start
            self.assertEqual(tunelab.get_iteration(), 7)


class ReportChannel(unittest.TestCase):
    def trial(self, *args, **kwargs):
        trial = Trial(*args, **kwargs)
        self.addCleanup(trial.close)
        return trial

    def test_results_go_to_the_report_fd_and_never_mix_with_stdout(self):
        trial = self.trial("fixture_trainables:report_twice", {"x": 2})
        code, lines, stdout, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)
        self.assertEqual([line["result"] for line in lines],
                         [{"score": 4, "step": 1}, {"score": 6, "step": 2}, {"final": True}])
        self.assertNotIn("checkpoint", lines[0])
        checkpoint = lines[1]["checkpoint"]
        self.assertTrue(os.path.isabs(checkpoint))
        self.assertTrue(checkpoint.startswith(os.path.join(trial.trial_dir, ".staging", "ckpt-")))
        with open(os.path.join(checkpoint, "state.json")) as handle:
            self.assertEqual(json.load(handle), {"x": 2})
        self.assertIn("ordinary stdout noise", stdout)
        self.assertNotIn("score", stdout)

    def test_without_a_report_fd_results_are_tagged_stdout_lines(self):
        tag = "@tunelab:9f3c2a71e0:"
        trial = self.trial("fixture_trainables:report_twice", {"x": 1}, use_fd=False,
                           extra_env={"TUNELAB_REPORT_TAG": tag})
        code, _, stdout, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)
        tagged = [json.loads(line[len(tag):]) for line in stdout.splitlines() if line.startswith(tag)]
        self.assertEqual([m["result"] for m in tagged], [{"score": 2, "step": 1}, {"score": 3, "step": 2},
                                                         {"final": True}])
        self.assertIn("ordinary stdout noise", stdout.splitlines())

    def test_an_unwritable_report_fd_falls_back_to_the_tag(self):
        tag = "@tunelab:0123456789:"
        trial = self.trial("fixture_trainables:no_config", use_fd=False,
                           extra_env={"TUNELAB_REPORT_FD": "97", "TUNELAB_REPORT_TAG": tag})
        code, _, stdout, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)
        self.assertIn(tag + '{"result":{"ok":1}}', stdout.splitlines())

    def test_no_channel_at_all_under_tunelab_is_a_clear_error(self):
        trial = self.trial("fixture_trainables:no_config", use_fd=False)
        code, _, _, stderr = trial.finish()
        self.assertEqual(code, 1)
        self.assertIn("neither TUNELAB_REPORT_FD nor TUNELAB_REPORT_TAG", stderr)


class RunFunction(unittest.TestCase):
    def trial(self, *args, **kwargs):
        trial = Trial(*args, **kwargs)
        self.addCleanup(trial.close)
        return trial

    def test_a_function_without_parameters_is_called_without_the_config(self):
        code, lines, _, stderr = self.trial("fixture_trainables:no_config").finish()
        self.assertEqual((code, [line["result"] for line in lines]), (0, [{"ok": 1}]), stderr)

    def test_a_user_exception_exits_1_with_the_traceback(self):
        code, _, _, stderr = self.trial("fixture_trainables:fails").finish()
        self.assertEqual(code, 1)
        self.assertIn("Traceback", stderr)
        self.assertIn("RuntimeError: the model exploded", stderr)

    def test_sigterm_stops_a_function_trainable_cleanly(self):
        trial = self.trial("fixture_trainables:slow_function")
        read_lines(trial.read_fd, 2)
        os.killpg(trial.proc.pid, signal.SIGTERM)
        code, lines, _, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)

    def test_standalone_config_prints_results(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUNELAB_")}
        env["PYTHONPATH"] = PYTHON_DIR
        done = subprocess.run([sys.executable, "-m", "tunelab.run", "fixture_trainables:report_twice",
                               "--config", '{"x": 5}'], cwd=FIXTURES, env=env, capture_output=True,
                              text=True, timeout=TIMEOUT_S)
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn('[tunelab] result 1: {"score": 10, "step": 1}', done.stdout)
        self.assertIn('[tunelab] result 3: {"final": true}', done.stdout)


class BadTargets(unittest.TestCase):
    def run_target(self, target):
        trial = Trial(target)
        self.addCleanup(trial.close)
        code, _, _, stderr = trial.finish()
        return code, stderr

    def test_bad_module_paths_exit_2_with_a_message(self):
        cases = {
            "no_such_module:train": "no module named 'no_such_module'",
            "fixture_trainables:missing": "has no attribute 'missing'",
            "fixture_trainables": "expected 'module:attr'",
            "fixture_trainables.py:report_twice": "give the module name instead",
            "fixture_trainables:not_callable": "not a function or a Trainable class",
        }
        for target, message in cases.items():
            with self.subTest(target=target):
                code, stderr = self.run_target(target)
                self.assertEqual(code, 2, stderr)
                self.assertIn(message, stderr)
                self.assertNotIn("Traceback", stderr)

    def test_a_missing_dependency_of_the_module_is_a_user_error(self):
        code, stderr = self.run_target("broken_import:train")
        self.assertEqual(code, 1)
        self.assertIn("a_dependency_that_is_not_installed", stderr)


class RunClass(unittest.TestCase):
    def trial(self, *args, **kwargs):
        trial = Trial(*args, **kwargs)
        self.addCleanup(trial.close)
        return trial

    def state_of(self, checkpoint):
        with open(os.path.join(checkpoint, "state.json")) as handle:
            return json.load(handle)["total"]

    def test_checkpoints_every_n_steps_and_stops_when_done(self):
        trial = self.trial("fixture_trainables:Counter", {"steps": 5, "increment": 10},
                           extra_env={"TUNELAB_CHECKPOINT_FREQ": "2"})
        code, lines, stdout, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)
        self.assertEqual([line["result"]["total"] for line in lines], [10, 20, 30, 40, 50])
        self.assertEqual(lines[-1]["result"]["done"], True)
        with_checkpoint = [i + 1 for i, line in enumerate(lines) if "checkpoint" in line]
        self.assertEqual(with_checkpoint, [2, 4])
        self.assertEqual(self.state_of(lines[3]["checkpoint"]), 40)
        self.assertIn("cleanup ran", stdout)

    def test_done_saves_a_final_checkpoint_when_asked_at_end(self):
        trial = self.trial("fixture_trainables:Counter", {"steps": 3},
                           extra_env={"TUNELAB_CHECKPOINT_AT_END": "1"})
        code, lines, _, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)
        self.assertEqual([("checkpoint" in line) for line in lines], [False, False, True])

    def test_restore_continues_the_state_and_the_iteration_count(self):
        first = self.trial("fixture_trainables:Counter", {"steps": 100, "increment": 1},
                           extra_env={"TUNELAB_CHECKPOINT_FREQ": "4"})
        lines = read_lines(first.read_fd, 4)
        os.killpg(first.proc.pid, signal.SIGKILL)  # a crash: only the checkpoint at 4 survives
        first.proc.wait()
        saved = os.path.join(tempfile.mkdtemp(), "checkpoint_000004")
        self.addCleanup(shutil.rmtree, os.path.dirname(saved))
        shutil.move(lines[3]["checkpoint"], saved)  # what the runner does with a reported checkpoint

        second = self.trial("fixture_trainables:Counter", {"steps": 7, "increment": 1},
                            extra_env={"TUNELAB_RESTORE": saved, "TUNELAB_ITERATION": "4"})
        code, lines, _, stderr = second.finish()
        self.assertEqual(code, 0, stderr)
        self.assertEqual([line["result"]["seen_iteration"] for line in lines], [5, 6, 7])
        self.assertEqual([line["result"]["total"] for line in lines], [5, 6, 7])

    def test_sigterm_saves_a_checkpoint_at_end_and_exits_0(self):
        trial = self.trial("fixture_trainables:Counter", {"steps": 1000, "delay": 0.05, "increment": 3},
                           extra_env={"TUNELAB_CHECKPOINT_AT_END": "1"})
        read_lines(trial.read_fd, 2)
        os.killpg(trial.proc.pid, signal.SIGTERM)
        code, more, stdout, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)
        self.assertTrue(more, "the step running at SIGTERM reports its result with the checkpoint")
        last = more[-1]
        self.assertIn("checkpoint", last)
        self.assertEqual(self.state_of(last["checkpoint"]), last["result"]["total"])
        self.assertTrue(all("checkpoint" not in line for line in more[:-1]))
        self.assertIn("cleanup ran", stdout)

    def test_sigterm_without_at_end_exits_0_without_a_checkpoint(self):
        trial = self.trial("fixture_trainables:Counter", {"steps": 1000, "delay": 0.05})
        read_lines(trial.read_fd, 2)
        os.killpg(trial.proc.pid, signal.SIGTERM)
        code, more, stdout, stderr = trial.finish()
        self.assertEqual(code, 0, stderr)
        self.assertTrue(all("checkpoint" not in line for line in more))
        self.assertIn("cleanup ran", stdout)

    def test_any_class_with_step_is_a_trainable(self):
        code, lines, _, stderr = self.trial("fixture_trainables:DuckTyped").finish()
        self.assertEqual(code, 0, stderr)
        self.assertEqual([line["result"]["n"] for line in lines], [1, 2])


if __name__ == "__main__":
    unittest.main()
