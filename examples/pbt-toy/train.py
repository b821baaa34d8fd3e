"""A schedule-sensitive toy for PBT (after Ray Tune's pbt_function example).

"Accuracy" grows fastest when lr is close to an optimal lr that rises from
0.001 to 0.01 while accuracy climbs to 100, then falls back to 0.001 by 200:
no fixed lr is good all the way, a schedule is. An lr more than 3x off the
optimum makes accuracy fall. The noise depends only on the step and the
config's seed, so a replayed schedule gives the same numbers.
"""

import json
import os
import random

import tunelab

MIDPOINT = 100.0
Q_TOLERANCE = 3.0
NOISE = 2.0


def optimal_lr(accuracy):
    if accuracy < MIDPOINT:
        lr = 0.01 * accuracy / MIDPOINT
    else:
        lr = 0.01 - 0.01 * (accuracy - MIDPOINT) / MIDPOINT
    return min(0.01, max(0.001, lr))


def step(accuracy, lr, rng):
    """One training step: the new accuracy."""
    best = optimal_lr(accuracy)
    q_err = max(lr, best) / min(lr, best)
    if q_err < Q_TOLERANCE:
        accuracy += (1.0 / q_err) * rng.random()
    elif lr > best:
        accuracy -= (q_err - Q_TOLERANCE) * rng.random()
    accuracy += NOISE * rng.gauss(0.0, 1.0)
    return max(0.0, accuracy), best, q_err


def train(config):
    lr = float(config["lr"])
    steps = int(config.get("steps", 200))
    accuracy, start = 0.0, 0
    restore = tunelab.get_checkpoint()
    if restore:
        with open(os.path.join(restore, "state.json"), encoding="utf-8") as handle:
            saved = json.load(handle)
        accuracy, start = saved["accuracy"], saved["step"]
    for i in range(start, steps):
        rng = random.Random(int(config.get("seed", 0)) * 1_000_003 + i)
        accuracy, best, q_err = step(accuracy, lr, rng)
        path = tunelab.checkpoint_dir()
        with open(os.path.join(path, "state.json"), "w", encoding="utf-8") as handle:
            json.dump({"accuracy": accuracy, "step": i + 1}, handle)
        tunelab.report({"mean_accuracy": accuracy, "cur_lr": lr, "optimal_lr": best, "q_err": q_err}, checkpoint=path)
