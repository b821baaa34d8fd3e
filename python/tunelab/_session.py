"""The trial's side of the report protocol (docs/protocol.md): environment, config, channel."""

import json
import os
import sys
import tempfile
import threading

from ._encode import encode_report

_lock = threading.RLock()
_config = None
_local_config = None
_local_restore = None
_channel = None
_local_iteration = 0
_checkpoint_counter = 0
# run.py defers SIGTERM while a line is being written, so a stop never cuts a line in half.
_writing = False
_exit_requested = False
# Set when anything asks for the trial's facts; tunelab.worker uses it to see whether a module read them at import.
_used = False


def _env(name):
    value = os.environ.get(name, "")
    return value if value != "" else None


def is_tunelab():
    """True when this process is a trial started by a Tunelab runner."""
    return _env("TUNELAB_TRIAL_ID") is not None or _env("TUNELAB_REPORT_FD") is not None \
        or _env("TUNELAB_REPORT_TAG") is not None


def set_local_config(config):
    """Used by `python -m tunelab.run --config` to debug a trainable outside Tunelab."""
    global _config, _local_config
    with _lock:
        _local_config = dict(config)
        _config = None


def set_local_restore(path):
    global _local_restore
    _local_restore = os.path.abspath(path) if path else None


def get_config():
    """The trial's config: read once from TUNELAB_CONFIG; outside Tunelab, the local one or {}."""
    global _config
    _mark_used()
    with _lock:
        if _config is None:
            _config = _load_config()
        return _config


def _load_config():
    if _local_config is not None:
        return _local_config
    path = _env("TUNELAB_CONFIG")
    if path is None:
        return {}
    try:
        with open(path, "r", encoding="utf-8") as handle:
            config = json.load(handle)
    except OSError as error:
        raise RuntimeError("tunelab: cannot read the trial config TUNELAB_CONFIG=%s: %s" % (path, error)) from None
    except ValueError as error:
        raise RuntimeError("tunelab: the trial config %s is not valid JSON: %s" % (path, error)) from None
    if not isinstance(config, dict):
        raise RuntimeError("tunelab: the trial config %s must hold a JSON object" % path)
    return config


def _mark_used():
    global _used
    _used = True


def get_checkpoint():
    """The checkpoint directory to resume from (TUNELAB_RESTORE), or None for a fresh start."""
    _mark_used()
    return _local_restore or _env("TUNELAB_RESTORE")


def get_trial_id():
    """This trial's id, or None outside Tunelab."""
    _mark_used()
    return _env("TUNELAB_TRIAL_ID")


def get_trial_dir():
    """This trial's directory (absolute), or None outside Tunelab."""
    _mark_used()
    return _env("TUNELAB_TRIAL_DIR")


def get_experiment_dir():
    return _env("TUNELAB_EXPERIMENT_DIR")


def get_iteration():
    """The training_iteration this run resumes at: 0 for a fresh start."""
    _mark_used()
    value = _env("TUNELAB_ITERATION")
    try:
        return int(value) if value is not None else 0
    except ValueError:
        raise RuntimeError("tunelab: TUNELAB_ITERATION must be an integer, got %r" % value) from None


def checkpoint_dir():
    """A fresh, empty directory to save a checkpoint into; report it, then leave it alone."""
    global _checkpoint_counter
    trial_dir = get_trial_dir()
    if trial_dir is None:
        return tempfile.mkdtemp(prefix="tunelab-ckpt-")
    staging = os.path.join(trial_dir, ".staging")
    os.makedirs(staging, exist_ok=True)
    with _lock:
        # A restarted trial counts from 0 again, and leftovers of a crash may still be there: skip them.
        while True:
            _checkpoint_counter += 1
            path = os.path.join(staging, "ckpt-%d" % _checkpoint_counter)
            try:
                os.mkdir(path)
                return path
            except FileExistsError:
                continue


class _FdChannel:
    def __init__(self, fd):
        self.fd = fd

    def write(self, data):
        view = memoryview(data)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]


class _TagChannel:
    def __init__(self, tag):
        self.tag = tag.encode("utf-8")

    def write(self, data):
        stream = sys.stdout
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            buffer.write(self.tag + data)
            buffer.flush()
        else:
            stream.write((self.tag + data).decode("utf-8"))
            stream.flush()


class _LocalChannel:
    """Outside Tunelab: print each result so a trainable can be debugged by hand."""

    def write(self, data):
        global _local_iteration
        _local_iteration += 1
        message = json.loads(data.decode("utf-8"))
        line = "[tunelab] result %d: %s" % (_local_iteration, json.dumps(message["result"], sort_keys=True))
        if "checkpoint" in message:
            line += "  checkpoint=%s" % message["checkpoint"]
        sys.stdout.flush()
        print(line, flush=True)


def _writable_fd(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    try:
        import fcntl
    except ImportError:  # no fcntl (Windows): trust the runner
        return True
    mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
    return mode in (os.O_WRONLY, os.O_RDWR)


def _open_channel():
    fd_text = _env("TUNELAB_REPORT_FD")
    tag = _env("TUNELAB_REPORT_TAG")
    if fd_text is not None:
        try:
            fd = int(fd_text)
        except ValueError:
            fd = -1
        if fd >= 0 and _writable_fd(fd):
            return _FdChannel(fd)
        if tag is None:
            raise RuntimeError("tunelab: TUNELAB_REPORT_FD=%s is not an open, writable file descriptor and "
                               "TUNELAB_REPORT_TAG is not set, so results have nowhere to go" % fd_text)
    if tag is not None:
        return _TagChannel(tag)
    if is_tunelab():
        raise RuntimeError("tunelab: this trial has neither TUNELAB_REPORT_FD nor TUNELAB_REPORT_TAG; "
                           "the runner that started it does not speak the report protocol")
    return _LocalChannel()


def report(metrics, checkpoint=None):
    """Send one result (a dict of JSON values) to the runner, with an optional checkpoint directory."""
    global _channel, _writing
    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)
        if not os.path.isdir(checkpoint):
            raise ValueError("tunelab.report(): checkpoint %r is not a directory; save the checkpoint "
                             "(e.g. into tunelab.checkpoint_dir()) before reporting it" % checkpoint)
        checkpoint = os.path.abspath(checkpoint)
    data = encode_report(metrics, checkpoint)
    _mark_used()
    with _lock:
        if _channel is None:
            _channel = _open_channel()
        _writing = True
        try:
            _channel.write(data)
        finally:
            _writing = False
    if _exit_requested:
        raise SystemExit(0)


def request_exit():
    """SIGTERM arrived: exit now, or right after the line being written if there is one."""
    global _exit_requested
    if _writing:
        _exit_requested = True
        return
    raise SystemExit(0)


def reset():
    """Forget everything about the current trial (config, channel, checkpoint counter, pending exit).

    tunelab.worker calls it at the start of each trial, so nothing of one trial is seen by the next.
    """
    global _config, _local_config, _local_restore, _channel, _local_iteration, _checkpoint_counter
    global _writing, _exit_requested, _used
    with _lock:
        _config = _local_config = _local_restore = _channel = None
        _local_iteration = _checkpoint_counter = 0
        _writing = _exit_requested = _used = False


_reset_for_tests = reset
