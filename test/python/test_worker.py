"""`python -m tunelab.worker`, driven over its real pipes the way the runner drives it.

Run: python3 -m unittest discover -s test/python
"""

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.join(os.path.dirname(os.path.dirname(HERE)), "python")
TIMEOUT_S = 20

MODULE = textwrap.dedent('''
    import os, sys, signal, time
    import tunelab

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "imports.txt"), "a") as handle:
        handle.write("x")
    STATE = {"mutated": False}

    def train(config):
        print("stdout of", config["name"], flush=True)
        sys.stderr.write("stderr of %s\\n" % config["name"])
        tunelab.report({"name": config["name"], "mutated_before": STATE["mutated"],
                        "x_before": os.environ.get("X_SET_BY_TRIAL"), "cwd": os.getcwd()})
        STATE["mutated"] = True
        os.environ["X_SET_BY_TRIAL"] = "1"
        os.chdir("/")
        if config.get("fail"):
            raise ValueError("boom in " + config["name"])
        if config.get("exit") is not None:
            sys.exit(config["exit"])
        if config.get("hang"):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            tunelab.report({"hanging": True})
            while True:
                time.sleep(1)
        return {"done_name": config["name"]}
''')


class WorkerProcess:
    """A worker started as the runner starts one: stdin for commands, fd 3 for frames."""

    def __init__(self, root, target="mod:train"):
        self.root = root
        frame_r, frame_w = os.pipe()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUNELAB_")}
        env.update({"PYTHONPATH": PYTHON_DIR, "PYTHONUNBUFFERED": "1"})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tunelab.worker", target], cwd=root, env=env, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, pass_fds=(frame_w, 3), start_new_session=True,
            preexec_fn=lambda: os.dup2(frame_w, 3))
        os.close(frame_w)
        self.frame_fd = frame_r
        self.buffer = b""

    def frame(self):
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            if len(self.buffer) >= 5:
                (length,) = struct.unpack(">I", self.buffer[1:5])
                if len(self.buffer) >= 5 + length:
                    kind, payload = self.buffer[:1], self.buffer[5:5 + length]
                    self.buffer = self.buffer[5 + length:]
                    return kind, payload
            ready, _, _ = select.select([self.frame_fd], [], [], max(0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError("timed out waiting for a frame")
            chunk = os.read(self.frame_fd, 65536)
            if not chunk:
                return None, None
            self.buffer += chunk

    def run(self, name, **config):
        trial_dir = tempfile.mkdtemp(dir=self.root)
        with open(os.path.join(trial_dir, "params.json"), "w") as handle:
            json.dump(dict(config, name=name), handle)
        env = {"TUNELAB_TRIAL_ID": name, "TUNELAB_TRIAL_DIR": trial_dir, "TUNELAB_REPORT_FD": "3",
               "TUNELAB_CONFIG": os.path.join(trial_dir, "params.json"), "TUNELAB_ITERATION": "0"}
        command = {"run": {"env": env, "cwd": self.root, "drainTimeoutMs": 2000}}
        self.proc.stdin.write((json.dumps(command) + "\n").encode())
        self.proc.stdin.flush()

    def collect(self, on_started=None):
        """Frames of one trial until its exit: (started pid, {kind: bytes}, exit status)."""
        streams, started = {b"O": b"", b"E": b"", b"R": b""}, None
        while True:
            kind, payload = self.frame()
            if kind is None:
                raise AssertionError("the worker closed its channel")
            if kind == b"M":
                event = json.loads(payload)
                if "started" in event:
                    started = event["started"]
                    if on_started:
                        on_started(started)
                if "exit" in event:
                    return started, streams, event["exit"]
            else:
                streams[kind] += payload

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            stream.close()
        os.close(self.frame_fd)


class WorkerTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="tunelab-worker-")
        self.addCleanup(shutil.rmtree, self.root, True)
        with open(os.path.join(self.root, "mod.py"), "w") as handle:
            handle.write(MODULE)
        self.worker = WorkerProcess(self.root)
        self.addCleanup(self.worker.close)
        kind, payload = self.worker.frame()
        self.assertEqual(kind, b"M")
        self.assertFalse(json.loads(payload)["ready"]["reimport"])

    def reports(self, data):
        return [json.loads(line)["result"] for line in data.decode().splitlines()]

    def test_trials_run_in_sequence_from_one_import_with_nothing_leaking(self):
        pids = []
        for name in ("a", "b", "c"):
            self.worker.run(name)
            pid, streams, status = self.worker.collect()
            pids.append(pid)
            self.assertEqual(status, {"code": 0, "signal": None})
            self.assertEqual(streams[b"O"].decode(), "stdout of %s\n" % name)
            self.assertEqual(streams[b"E"].decode(), "stderr of %s\n" % name)
            first, last = self.reports(streams[b"R"])
            self.assertEqual(first, {"name": name, "mutated_before": False, "x_before": None, "cwd": self.root})
            self.assertEqual(last, {"done_name": name})
        self.assertEqual(len(set(pids)), 3, "each trial is its own process")
        with open(os.path.join(self.root, "imports.txt")) as handle:
            self.assertEqual(handle.read(), "x", "the module is imported once")

    def test_a_raise_exits_1_with_the_traceback_and_the_worker_goes_on(self):
        self.worker.run("bad", fail=True)
        _, streams, status = self.worker.collect()
        self.assertEqual(status, {"code": 1, "signal": None})
        self.assertIn("ValueError: boom in bad", streams[b"E"].decode())
        self.worker.run("good")
        self.assertEqual(self.worker.collect()[2], {"code": 0, "signal": None})

    def test_sys_exit_in_a_trial_ends_only_that_trial_with_its_code(self):
        self.worker.run("exits", exit=7)
        self.assertEqual(self.worker.collect()[2], {"code": 7, "signal": None})
        self.worker.run("after")
        self.assertEqual(self.worker.collect()[2], {"code": 0, "signal": None})

    def test_a_trial_killed_by_a_signal_is_reported_as_that_signal(self):
        self.worker.run("hangs", hang=True)
        # Its process group exists once "started" is sent: the runner's SIGKILL goes there.
        _, _, status = self.worker.collect(on_started=lambda pid: os.killpg(pid, signal.SIGKILL))
        self.assertEqual(status, {"code": None, "signal": "SIGKILL"})
        self.assertIsNone(self.worker.proc.poll(), "the worker survives its trial")
        self.worker.run("after")
        self.assertEqual(self.worker.collect()[2], {"code": 0, "signal": None})

    def test_the_worker_exits_when_the_runner_closes_its_commands(self):
        self.worker.proc.stdin.close()
        self.assertEqual(self.worker.proc.wait(timeout=TIMEOUT_S), 0)


class WorkerImportTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp(prefix="tunelab-worker-")
        self.addCleanup(shutil.rmtree, self.root, True)

    def start(self, source, target):
        with open(os.path.join(self.root, "mod.py"), "w") as handle:
            handle.write(textwrap.dedent(source))
        worker = WorkerProcess(self.root, target)
        self.addCleanup(worker.close)
        return worker

    def test_an_import_error_exits_1_with_the_traceback(self):
        worker = self.start("raise ImportError('no such dependency')\n", "mod:train")
        self.assertEqual(worker.proc.wait(timeout=TIMEOUT_S), 1)
        self.assertIn("no such dependency", worker.proc.stderr.read().decode())

    def test_a_bad_target_exits_2(self):
        worker = self.start("x = 1\n", "mod:missing")
        self.assertEqual(worker.proc.wait(timeout=TIMEOUT_S), 2)
        self.assertIn("has no attribute 'missing'", worker.proc.stderr.read().decode())

    def test_a_module_reading_the_config_at_import_is_imported_again_in_each_trial(self):
        worker = self.start('''
            import tunelab
            CONFIG = tunelab.get_config()
            def train():
                tunelab.report({"seen": CONFIG.get("name")})
        ''', "mod:train")
        kind, payload = worker.frame()
        self.assertTrue(json.loads(payload)["ready"]["reimport"])
        for name in ("a", "b"):
            worker.run(name)
            _, streams, status = worker.collect()
            self.assertEqual(status["code"], 0, streams[b"E"].decode())
            self.assertEqual(json.loads(streams[b"R"].decode())["result"], {"seen": name})


class WorkerExitTest(unittest.TestCase):
    """A trial ends without tearing down the modules, but what programs rely on at exit still happens."""

    def test_unclosed_files_are_flushed_and_atexit_handlers_run(self):
        root = tempfile.mkdtemp(prefix="tunelab-worker-")
        self.addCleanup(shutil.rmtree, root, True)
        with open(os.path.join(root, "mod.py"), "w") as handle:
            handle.write(textwrap.dedent('''
                import atexit, os, threading
                KEEP = []
                def train(config):
                    handle = open(os.path.join(config["dir"], "unclosed.txt"), "w")
                    handle.write("kept")
                    KEEP.append(handle)
                    atexit.register(lambda: open(os.path.join(config["dir"], "atexit.txt"), "w").write("ran"))
                    def late():
                        with open(os.path.join(config["dir"], "thread.txt"), "w") as out:
                            out.write("joined")
                    threading.Thread(target=late).start()
            '''))
        worker = WorkerProcess(root)
        self.addCleanup(worker.close)
        worker.frame()
        worker.run("files", dir=root)
        self.assertEqual(worker.collect()[2], {"code": 0, "signal": None})
        for name, text in (("unclosed.txt", "kept"), ("atexit.txt", "ran"), ("thread.txt", "joined")):
            with open(os.path.join(root, name)) as handle:
                self.assertEqual(handle.read(), text, name)

    @unittest.skipUnless(__import__("importlib").util.find_spec("numpy"), "numpy is not installed for this Python")
    def test_each_trial_gets_its_own_numpy_random_state(self):
        root = tempfile.mkdtemp(prefix="tunelab-worker-")
        self.addCleanup(shutil.rmtree, root, True)
        with open(os.path.join(root, "mod.py"), "w") as handle:
            handle.write("import numpy, tunelab\n"
                         "def train():\n"
                         "    tunelab.report({'draw': float(numpy.random.rand())})\n")
        worker = WorkerProcess(root)
        self.addCleanup(worker.close)
        worker.frame()
        draws = set()
        for name in ("a", "b", "c"):
            worker.run(name)
            draws.add(json.loads(worker.collect()[1][b"R"])["result"]["draw"])
        self.assertEqual(len(draws), 3, "forks of one worker must not replay the same numpy draws")


if __name__ == "__main__":
    unittest.main()
