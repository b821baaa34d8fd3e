"""Runs a Python trainable under Tunelab: `python -m tunelab.run module:attr [--config JSON]`.

`attr` is a function (called with the config; a returned dict is reported as the final result)
or a class with step() such as a tunelab.Trainable subclass (driven step by step, checkpointed
every TUNELAB_CHECKPOINT_FREQ steps and, with TUNELAB_CHECKPOINT_AT_END=1, when stopped).
Outside Tunelab, --config runs it by hand and prints each result.

Exit codes: 0 finished or stopped by SIGTERM, 1 the trainable raised, 2 bad target or arguments.
"""

import argparse
import importlib
import inspect
import json
import os
import signal
import sys
import traceback

from tunelab import _session

EXIT_USER_ERROR = 1
EXIT_BAD_TARGET = 2


class TargetError(Exception):
    """The module:attr target cannot be used; the message says why."""


def resolve(target):
    """Import `module:attr` (attr may be dotted) and return ("class" | "function", object)."""
    module_name, sep, attr_path = target.partition(":")
    if not sep or not module_name or not attr_path:
        raise TargetError("%r is not a trainable target; expected 'module:attr', e.g. 'train:train_fn'" % target)
    if module_name.endswith(".py") or os.sep in module_name or "/" in module_name:
        raise TargetError("%r names a file; give the module name instead, e.g. %r"
                          % (module_name, os.path.splitext(os.path.basename(module_name))[0] + ":" + attr_path))
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only a missing target is ours to report; a missing dependency of the user's module is a user error.
        if error.name and (module_name == error.name or module_name.startswith(error.name + ".")):
            raise TargetError("no module named %r (searched %s first, then PYTHONPATH)"
                              % (error.name, os.getcwd())) from None
        raise
    obj = module
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            where = getattr(module, "__file__", None) or module_name
            raise TargetError("%s has no attribute %r (target %r)" % (where, part, target))
        obj = getattr(obj, part)
    if inspect.isclass(obj):
        if not callable(getattr(obj, "step", None)):
            raise TargetError("class %r has no step() method; subclass tunelab.Trainable" % attr_path)
        return "class", obj
    if callable(obj):
        return "function", obj
    raise TargetError("%r is a %s, not a function or a Trainable class" % (attr_path, type(obj).__name__))


def _env_int(name, default):
    value = os.environ.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise TargetError("%s must be an integer, got %r" % (name, value)) from None


def run_function(fn, config):
    signal.signal(signal.SIGTERM, lambda signum, frame: _session.request_exit())
    try:
        takes_config = len(inspect.signature(fn).parameters) > 0
    except (TypeError, ValueError):
        takes_config = True
    result = fn(config) if takes_config else fn()
    if isinstance(result, dict):
        _session.report(result)
    elif result is not None:
        sys.stderr.write("tunelab.run: %s returned a %s, not a dict; it was not reported\n"
                         % (getattr(fn, "__name__", fn), type(result).__name__))


class _Stop:
    stepping = False
    requested = False


def run_class(cls, config, max_steps=None):
    """Drive a class trainable: setup, restore, then step → report until done, stopped or max_steps."""
    frequency = _env_int("TUNELAB_CHECKPOINT_FREQ", 0)
    at_end = os.environ.get("TUNELAB_CHECKPOINT_AT_END", "0") == "1"
    stop = _Stop()

    def on_sigterm(signum, frame):
        # With atEnd, let the running step finish so the checkpoint holds a consistent state.
        if at_end and stop.stepping and not stop.requested:
            stop.requested = True
        else:
            _session.request_exit()

    signal.signal(signal.SIGTERM, on_sigterm)
    trainable = cls()
    trainable.config = config
    trainable.iteration = _session.get_iteration()
    trainable.trial_id = _session.get_trial_id()
    trainable.trial_dir = _session.get_trial_dir()
    steps = 0
    try:
        if callable(getattr(trainable, "setup", None)):
            trainable.setup(config)
        restore = _session.get_checkpoint()
        if restore:
            trainable.load_checkpoint(restore)
        stop.stepping = True
        while max_steps is None or steps < max_steps:
            result = trainable.step()
            if not isinstance(result, dict):
                raise TypeError("%s.step() must return a dict of metrics, got %s"
                                % (cls.__name__, type(result).__name__))
            steps += 1
            trainable.iteration += 1
            done = bool(result.get("done"))
            last = done or stop.requested or (max_steps is not None and steps >= max_steps)
            checkpoint = None
            if (frequency > 0 and trainable.iteration % frequency == 0) or (at_end and last):
                checkpoint = _session.checkpoint_dir()
                trainable.save_checkpoint(checkpoint)
            _session.report(result, checkpoint=checkpoint)
            # A stop that came in while this result was being sent still gets its checkpoint: one more step.
            if done or (stop.requested and (checkpoint is not None or not at_end)):
                break
    finally:
        stop.stepping = False
        if callable(getattr(trainable, "cleanup", None)):
            trainable.cleanup()


def _parse_config(text):
    if text.lstrip().startswith("{"):
        source = "--config"
        try:
            config = json.loads(text)
        except ValueError as error:
            raise TargetError("--config is not valid JSON: %s" % error) from None
    else:
        source = text
        try:
            with open(text, "r", encoding="utf-8") as handle:
                config = json.load(handle)
        except (OSError, ValueError) as error:
            raise TargetError("--config %s: %s" % (text, error)) from None
    if not isinstance(config, dict):
        raise TargetError("%s must hold a JSON object" % source)
    return config


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m tunelab.run",
        description="Run a Python trainable under Tunelab, or by hand with --config to debug it.")
    parser.add_argument("target", help="module:attr — a function taking the config, or a Trainable class")
    parser.add_argument("--config", help="the config as a JSON object or a path to a JSON file "
                                         "(default: TUNELAB_CONFIG, else {})")
    parser.add_argument("--restore", help="a checkpoint directory to resume from (default: TUNELAB_RESTORE)")
    parser.add_argument("--iterations", type=int, help="class trainables: stop after this many steps")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    cwd = os.getcwd()
    # Like `python script.py`: the trainable's own directory wins, even under -P / PYTHONSAFEPATH.
    if not sys.path or os.path.abspath(sys.path[0] or ".") != cwd:
        sys.path.insert(0, cwd)
    try:
        if args.config is not None:
            _session.set_local_config(_parse_config(args.config))
        if args.restore:
            _session.set_local_restore(args.restore)
        config = _session.get_config()
    except (TargetError, RuntimeError) as error:
        sys.stderr.write("tunelab.run: %s\n" % error)
        return EXIT_BAD_TARGET
    try:
        kind, obj = resolve(args.target)
        if kind == "class":
            _env_int("TUNELAB_CHECKPOINT_FREQ", 0)
    except TargetError as error:
        sys.stderr.write("tunelab.run: %s\n" % error)
        return EXIT_BAD_TARGET
    except KeyboardInterrupt:
        return 130
    except Exception:  # the user's module failed while importing
        traceback.print_exc()
        return EXIT_USER_ERROR
    return execute(kind, obj, config, args.iterations)


def execute(kind, obj, config, max_steps=None):
    """Run a resolved trainable to its end and return the exit code (tunelab.worker runs trials this way too)."""
    try:
        if kind == "class":
            run_class(obj, config, max_steps)
        else:
            run_function(obj, config)
    except KeyboardInterrupt:
        sys.stderr.write("tunelab.run: interrupted\n")
        return 130
    except Exception:
        traceback.print_exc()
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
