"""Turns a report into one protocol line, or into an error that names the bad metric."""

import json
import math

MAX_LINE_BYTES = 1024 * 1024
"""The protocol's limit on one line, the trailing newline included."""


def _plain(value):
    """Numpy-style scalars and arrays become plain Python values; anything else is left alone."""
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    return value


def _json_default(value):
    plain = _plain(value)
    if plain is value:
        raise TypeError("not JSON-serializable")
    return plain


def _find_bad(value, path, depth=0):
    """First (path, value, why) in a metrics tree that JSON cannot hold, or None."""
    if depth > 100:
        return None
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (path, value, "nonfinite")
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find_bad(item, "%s.%s" % (path, key) if path else str(key), depth + 1)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = _find_bad(item, "%s[%d]" % (path, index), depth + 1)
            if found:
                return found
        return None
    plain = _plain(value)
    if plain is value:
        return (path, value, "type")
    return _find_bad(plain, path, depth + 1)


def encode_report(metrics, checkpoint=None):
    """The protocol line (bytes, newline-terminated) for one result and an optional checkpoint path."""
    if not isinstance(metrics, dict):
        raise TypeError("tunelab.report() takes a dict of metrics, got %s" % type(metrics).__name__)
    for key in metrics:
        if not isinstance(key, str):
            raise TypeError("tunelab.report(): metric names must be strings, got %r" % (key,))
    message = {"result": metrics}
    if checkpoint is not None:
        message["checkpoint"] = checkpoint
    try:
        text = json.dumps(message, allow_nan=False, ensure_ascii=True, separators=(",", ":"),
                          default=_json_default)
    except (ValueError, TypeError) as error:
        found = _find_bad(metrics, "")
        if found is None:
            raise ValueError("tunelab.report(): the metrics cannot be written as JSON: %s" % error) from None
        path, value, why = found
        if why == "nonfinite":
            raise ValueError(
                "tunelab.report(): metric %r is %r; JSON has no NaN or Infinity, so report a finite "
                "number (or leave the metric out) — a diverged run is often better reported as done"
                % (path, value)) from None
        raise TypeError("tunelab.report(): metric %r is a %s, which JSON cannot hold; report numbers, "
                        "strings, booleans, lists or dicts" % (path, type(value).__name__)) from None
    data = (text + "\n").encode("utf-8")
    if len(data) > MAX_LINE_BYTES:
        raise ValueError("tunelab.report(): this result is %d bytes as JSON, over the protocol's limit of "
                         "1 MiB per line; report scalars and save large data into a checkpoint instead"
                         % len(data))
    return data
