"""A warm worker for Python trainables: `python -m tunelab.worker module:attr` (docs/workers.md).

The worker imports the trainable's module once, then runs trials one at a time, each in a fresh
fork of itself. A trial so pays neither interpreter start-up nor imports (numpy, torch, ...), yet
starts from the state the module had right after import: module globals, os.environ, cwd, signal
handlers, threads and file descriptors a trial changes die with its fork, and the trial's process
group, exit code and signals are those of a process started by `python -m tunelab.run`.

Channels, set up by the runner:
  fd 0    commands, one JSON object per line: {"run": {"env", "cwd", "drainTimeoutMs"}}.
          End of file means the runner is gone: the worker kills the running trial and exits.
  fd 1/2  the worker's own output (what the module prints while it is imported, import errors).
  fd 3    frames to the runner: one type byte, a 4-byte big-endian length, the payload.
          O / E / R: bytes the running trial wrote on its stdout / stderr / report fd (3);
          M: a JSON event, {"ready": {...}}, {"started": pid}, {"note": text} or
          {"exit": {"code": int|null, "signal": name|null}} (always the last frame of a trial).
Exit codes of the worker itself are those of tunelab.run for the import: 1 the module raised,
2 a bad target.
"""

import json
import os
import select
import signal
import struct
import sys
import threading
import time
import traceback
import warnings

from tunelab import _session
from tunelab import run

CHANNEL_FD = 3
REPORT_FD = 3
_CHUNK = 65536

# Trials are forked from a worker whose module may have started threads (BLAS pools); that is
# how multiprocessing's fork start method has always run them, so Python's warning is noise here.
warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks.*", category=DeprecationWarning)


class _Frames:
    def __init__(self, fd):
        self.fd = fd

    def send(self, kind, payload):
        data = kind + struct.pack(">I", len(payload)) + payload
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]

    def event(self, message):
        self.send(b"M", json.dumps(message).encode("utf-8"))


class _Commands:
    """Lines from fd 0, read with os.read so the relay loop can watch fd 0 with select."""

    def __init__(self):
        self.buffer = b""
        self.closed = False

    def fill(self):
        chunk = os.read(0, _CHUNK)
        if not chunk:
            self.closed = True
        self.buffer += chunk
        return bool(chunk)

    def next(self):
        while b"\n" not in self.buffer:
            if self.closed or not self.fill():
                return None
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line.decode("utf-8"))


def _libc():
    """The C library, loaded once in the worker so that each fork need not import ctypes."""
    try:
        import ctypes
        return ctypes.CDLL(None, use_errno=True)
    except (ImportError, OSError):
        return None


def _kill_group(pid, sig=signal.SIGKILL):
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _wait_and_kill_group(pid):
    """Wait for the trial to end, kill what it left in its group, then reap it and say how it ended."""
    if hasattr(os, "waitid") and hasattr(os, "WNOWAIT"):
        # Not reaped yet: the group id cannot be reused by another process before the kill below.
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass
    _kill_group(pid)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "SIG%d" % number
        return {"code": None, "signal": name}
    return {"code": os.WEXITSTATUS(status), "signal": None}


class Worker:
    def __init__(self, target, kind, obj, reimport, frames, commands):
        self.target = target
        self.kind = kind
        self.obj = obj
        self.reimport = reimport
        self.frames = frames
        self.commands = commands
        self.libc = _libc()
        self.prctl = getattr(self.libc, "prctl", None) if sys.platform.startswith("linux") else None
        self.pid = os.getpid()

    def serve(self):
        """Run trials until the runner closes fd 0. A forked trial never comes back here (see child())."""
        while True:
            command = self.commands.next()
            if command is None:
                return 0
            self.run_trial(command["run"])

    def run_trial(self, command):
        pipes = [os.pipe() for _ in range(3)]
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self.child(command, pipes)
        try:
            os.setpgid(pid, pid)  # also done in the child; whichever runs first wins the race
        except OSError:
            pass
        for _, write_end in pipes:
            os.close(write_end)
        self.frames.event({"started": pid})
        reads = {pipes[0][0]: b"O", pipes[1][0]: b"E", pipes[2][0]: b"R"}
        status = self.relay(pid, reads, float(command.get("drainTimeoutMs", 5000)) / 1000.0)
        self.frames.event({"exit": status})

    def relay(self, pid, reads, drain_s):
        """Forward the trial's output until it ended and its pipes closed (or drain_s after it ended)."""
        wake_r, wake_w = os.pipe()
        ended = {}

        def wait():
            ended["status"] = _wait_and_kill_group(pid)
            os.write(wake_w, b"x")

        waiter = threading.Thread(target=wait, name="tunelab-trial-waiter", daemon=True)
        waiter.start()
        deadline = None
        while reads or "status" not in ended:
            watch = list(reads) + ([] if deadline is not None else [wake_r]) + ([] if self.commands.closed else [0])
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select(watch, [], [], timeout)
            if deadline is not None and not ready and time.monotonic() >= deadline:
                self.frames.event({"note": "tunelab: stopped reading the trial's output %g s after it exited: a "
                                           "process it started outside its process group still holds the pipes"
                                           % drain_s})
                break
            for fd in ready:
                if fd == wake_r:
                    os.read(wake_r, 1)
                    deadline = time.monotonic() + drain_s
                elif fd == 0:
                    if not self.commands.fill():
                        # The runner is gone (even killed with -9): nothing of this experiment may outlive it.
                        _kill_group(pid)
                        os._exit(0)
                else:
                    chunk = os.read(fd, _CHUNK)
                    if chunk:
                        self.frames.send(reads[fd], chunk)
                    else:
                        del reads[fd]
                        os.close(fd)
        for fd in reads:
            os.close(fd)
        waiter.join()
        os.close(wake_r)
        os.close(wake_w)
        return ended["status"]

    def child(self, command, pipes):
        """The forked trial: never returns to the worker's loop, whatever the trial raises."""
        code = run.EXIT_USER_ERROR
        try:
            try:
                code = self.child_setup_and_run(command, pipes)
            except SystemExit as exit:
                code = _exit_code(exit)
            except KeyboardInterrupt:
                code = 130
            except BaseException:  # noqa: B902 - the fork must never fall back into the worker's loop
                traceback.print_exc()
        finally:
            _end_process(code, self.libc)

    def child_setup_and_run(self, command, pipes):
        os.setpgid(0, 0)
        if self.prctl is not None:
            self.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG: die with the worker
            if os.getppid() != self.pid:
                os._exit(1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        for read_end, _ in pipes:
            os.close(read_end)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        # fd 3 is the worker's frame channel until here; the trial's report pipe replaces it.
        for target_fd, (_, write_end) in zip((1, 2, REPORT_FD), pipes):
            os.dup2(write_end, target_fd)
            os.close(write_end)
        for name in [name for name in os.environ if name.startswith("TUNELAB_")]:
            del os.environ[name]
        os.environ.update(command["env"])
        os.chdir(command["cwd"])
        sys.argv = [run.__file__, self.target]
        _track_open_files()
        _session.reset()
        _reseed_numpy()
        kind, obj = self.kind, self.obj
        if self.reimport:
            try:
                kind, obj = _reimport(self.target)
            except run.TargetError as error:
                sys.stderr.write("tunelab.run: %s\n" % error)
                return run.EXIT_BAD_TARGET
            except Exception:
                traceback.print_exc()
                return run.EXIT_USER_ERROR
        try:
            config = _session.get_config()
            if kind == "class":
                run._env_int("TUNELAB_CHECKPOINT_FREQ", 0)
        except (run.TargetError, RuntimeError) as error:
            sys.stderr.write("tunelab.run: %s\n" % error)
            return run.EXIT_BAD_TARGET
        return run.execute(kind, obj, config)


_opened = None


def _track_open_files():
    """Remember the files the trial opens, so that the fast exit below still flushes those it never closed."""
    global _opened
    import builtins
    import io
    import weakref
    _opened = weakref.WeakSet()
    original = io.open

    def tracking_open(*args, **kwargs):
        handle = original(*args, **kwargs)
        try:
            _opened.add(handle)
        except TypeError:
            pass
        return handle

    builtins.open = io.open = tracking_open


def _exit_code(exit):
    """The status Python itself gives a SystemExit at the top level."""
    if exit.code is None:
        return 0
    if isinstance(exit.code, int):
        return exit.code & 0xFF
    try:
        sys.stderr.write("%s\n" % (exit.code,))
    except Exception:
        pass
    return 1


def _end_process(code, libc):
    """End the trial as Python's own shutdown would, minus the module teardown.

    Tearing down numpy/torch costs a forked process tens to hundreds of ms (every object it frees
    is a page copied); multiprocessing's children skip it the same way. What a program relies on at
    exit still happens: non-daemon threads are joined, atexit handlers run, files opened with
    open() and C stdio buffers are flushed.
    """
    try:
        shutdown = getattr(threading, "_shutdown", None)
        if shutdown is not None:
            try:
                shutdown()
            except BaseException:
                pass
        try:
            import atexit
            atexit._run_exitfuncs()
        except BaseException:
            pass
        for handle in list(_opened or ()):
            try:
                if not handle.closed:
                    handle.flush()
            except BaseException:
                pass
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        if libc is not None:
            try:
                libc.fflush(None)
            except BaseException:
                pass
    finally:
        os._exit(code)


def _reseed_numpy():
    """A cold process seeds numpy's global generator from the OS; forks would all share the worker's."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return
    try:
        numpy.random.seed()
    except Exception:  # a partial or unusual numpy: leave it
        pass


def _reimport(target):
    """Import the trainable's module again, now inside the trial, for modules that read the trial at import."""
    sys.modules.pop(target.partition(":")[0], None)
    return run.resolve(target)


def _channel_ok(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.stderr.write("usage: python -m tunelab.worker module:attr (started by the Tunelab runner)\n")
        return run.EXIT_BAD_TARGET
    if not hasattr(os, "fork") or not _channel_ok(CHANNEL_FD):
        sys.stderr.write("tunelab.worker: needs os.fork() and the runner's frame channel on fd %d\n" % CHANNEL_FD)
        return run.EXIT_BAD_TARGET
    target = argv[0]
    cwd = os.getcwd()
    if not sys.path or os.path.abspath(sys.path[0] or ".") != cwd:
        sys.path.insert(0, cwd)
    try:
        kind, obj = run.resolve(target)
    except run.TargetError as error:
        sys.stderr.write("tunelab.run: %s\n" % error)
        return run.EXIT_BAD_TARGET
    except KeyboardInterrupt:
        return 130
    except Exception:  # the user's module failed while importing
        traceback.print_exc()
        return run.EXIT_USER_ERROR
    # A module that asked for the trial (config, trial dir, ...) while being imported got no answer
    # here, outside any trial: it is imported again inside each trial, where it gets the right one.
    reimport = _session._used
    _session.reset()
    frames = _Frames(CHANNEL_FD)
    frames.event({"ready": {"pid": os.getpid(), "reimport": reimport}})
    return Worker(target, kind, obj, reimport, frames, _Commands()).serve()


if __name__ == "__main__":
    sys.exit(main())
