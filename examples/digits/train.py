"""Handwritten digits (8x8, UCI) with a one-hidden-layer MLP in pure Python, tuned by Tunelab.

Run under Tunelab as the function trainable `train:train_fn`, or by hand:
    PYTHONPATH=../../python python3 -m tunelab.run train:train_fn --config '{"lr": 0.05}'
"""

import gzip
import json
import math
import os
import random
import time
from operator import mul

import tunelab

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "digits.csv.gz")
DEFAULTS = {"lr": 0.05, "momentum": 0.9, "l2": 1e-4, "batch_size": 32, "hidden": 32, "epochs": 12,
            "seed": 0, "checkpoint_every": 1}
VALIDATION_FRACTION = 0.2
SPLIT_SEED = 20240611  # fixed: every trial sees the same train/validation split


def load_digits(path=DATA):
    """(inputs scaled to [0, 1], labels) for the 1797 digits."""
    inputs, labels = [], []
    with gzip.open(path, "rt", encoding="ascii") as handle:
        for line in handle:
            values = line.strip().split(",")
            if len(values) != 65:
                continue
            inputs.append([float(v) / 16.0 for v in values[:64]])
            labels.append(int(float(values[64])))
    return inputs, labels


def split(inputs, labels):
    order = list(range(len(labels)))
    random.Random(SPLIT_SEED).shuffle(order)
    n_val = int(len(order) * VALIDATION_FRACTION)
    pick = lambda idx: ([inputs[i] for i in idx], [labels[i] for i in idx])
    return pick(order[n_val:]), pick(order[:n_val])


class MLP:
    """64 → hidden (ReLU) → 10 (softmax), trained by minibatch SGD with momentum and L2."""

    def __init__(self, hidden, seed):
        rng = random.Random(seed)
        scale1, scale2 = math.sqrt(2.0 / 64), math.sqrt(1.0 / hidden)
        self.w1 = [[rng.gauss(0.0, scale1) for _ in range(64)] for _ in range(hidden)]
        self.b1 = [0.0] * hidden
        self.w2 = [[rng.gauss(0.0, scale2) for _ in range(hidden)] for _ in range(10)]
        self.b2 = [0.0] * 10
        self.v1 = [[0.0] * 64 for _ in range(hidden)]
        self.vb1 = [0.0] * hidden
        self.v2 = [[0.0] * hidden for _ in range(10)]
        self.vb2 = [0.0] * 10

    def forward(self, x):
        pre = [sum(map(mul, row, x)) + b for row, b in zip(self.w1, self.b1)]
        h = [v if v > 0.0 else 0.0 for v in pre]
        z = [sum(map(mul, row, h)) + b for row, b in zip(self.w2, self.b2)]
        top = max(z)
        exps = [math.exp(v - top) for v in z]
        total = sum(exps)
        return h, z, [e / total for e in exps], top + math.log(total)

    def loss_and_accuracy(self, inputs, labels):
        loss, correct = 0.0, 0
        for x, y in zip(inputs, labels):
            _, z, _, log_total = self.forward(x)
            loss += log_total - z[y]
            correct += z.index(max(z)) == y
        return loss / len(labels), correct / len(labels)

    def train_batch(self, xs, ys, lr, momentum, l2):
        """One SGD step on a minibatch; returns its mean cross-entropy before the step."""
        w2t = [list(col) for col in zip(*self.w2)]
        hs, deltas_out, deltas_hidden, loss = [], [], [], 0.0
        for x, y in zip(xs, ys):
            h, z, p, log_total = self.forward(x)
            loss += log_total - z[y]
            p[y] -= 1.0  # dL/dz for softmax + cross-entropy
            hs.append(h)
            deltas_out.append(p)
            deltas_hidden.append([sum(map(mul, col, p)) if hv > 0.0 else 0.0 for col, hv in zip(w2t, h)])
        # Gradients as dot products over the batch (columns), the fastest shape for pure Python.
        x_cols, h_cols = list(zip(*xs)), list(zip(*hs))
        x_cols = [col if any(col) else None for col in x_cols]  # blank border pixels cost nothing
        g1 = [[sum(map(mul, d, col)) if col is not None else 0.0 for col in x_cols] for d in zip(*deltas_hidden)]
        g2 = [[sum(map(mul, d, col)) for col in h_cols] for d in zip(*deltas_out)]
        gb1 = [sum(d) for d in zip(*deltas_hidden)]
        gb2 = [sum(d) for d in zip(*deltas_out)]
        scale = 1.0 / len(ys)
        self._update(self.w1, self.v1, g1, lr, momentum, l2, scale)
        self._update(self.w2, self.v2, g2, lr, momentum, l2, scale)
        self._update([self.b1], [self.vb1], [gb1], lr, momentum, 0.0, scale)
        self._update([self.b2], [self.vb2], [gb2], lr, momentum, 0.0, scale)
        return loss * scale

    @staticmethod
    def _update(weights, velocities, grads, lr, momentum, l2, scale):
        for i, (w, v, g) in enumerate(zip(weights, velocities, grads)):
            v = [momentum * vv - lr * (gg * scale + l2 * ww) for ww, vv, gg in zip(w, v, g)]
            velocities[i][:] = v
            weights[i][:] = [ww + vv for ww, vv in zip(w, v)]

    def state(self):
        return {k: getattr(self, k) for k in ("w1", "b1", "w2", "b2", "v1", "vb1", "v2", "vb2")}

    def load_state(self, state):
        for key, value in state.items():
            setattr(self, key, value)


def save_checkpoint(model, epoch):
    path = tunelab.checkpoint_dir()
    with open(os.path.join(path, "model.json"), "w", encoding="utf-8") as handle:
        json.dump({"epoch": epoch, "state": model.state()}, handle)
    return path


def train_fn(config):
    cfg = dict(DEFAULTS, **config)
    (train_x, train_y), (val_x, val_y) = split(*load_digits())
    model = MLP(int(cfg["hidden"]), int(cfg["seed"]))
    start = 0
    restore = tunelab.get_checkpoint()
    if restore:
        with open(os.path.join(restore, "model.json"), encoding="utf-8") as handle:
            saved = json.load(handle)
        model.load_state(saved["state"])
        start = saved["epoch"]
    lr, momentum, l2 = float(cfg["lr"]), float(cfg["momentum"]), float(cfg["l2"])
    batch_size, every = int(cfg["batch_size"]), max(1, int(cfg["checkpoint_every"]))
    for epoch in range(start, int(cfg["epochs"])):
        began = time.perf_counter()
        order = list(range(len(train_y)))
        random.Random(int(cfg["seed"]) * 100003 + epoch).shuffle(order)  # reproducible after a restore
        train_loss = 0.0
        for first in range(0, len(order), batch_size):
            idx = order[first:first + batch_size]
            batch_loss = model.train_batch([train_x[i] for i in idx], [train_y[i] for i in idx], lr, momentum, l2)
            train_loss += batch_loss * len(idx)
        train_loss /= len(order)
        val_loss, val_acc = model.loss_and_accuracy(val_x, val_y)
        metrics = {"epoch": epoch + 1, "val_acc": val_acc, "val_loss": val_loss, "train_loss": train_loss,
                   "epoch_s": time.perf_counter() - began}
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            # Diverged (lr too high): say so with finite numbers and stop, rather than report NaN.
            tunelab.report({"epoch": epoch + 1, "val_acc": val_acc, "diverged": True})
            return
        last = epoch + 1 == int(cfg["epochs"])
        checkpoint = save_checkpoint(model, epoch + 1) if (epoch + 1) % every == 0 or last else None
        tunelab.report(metrics, checkpoint=checkpoint)
