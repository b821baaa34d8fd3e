"""Optuna baselines for bench/search-quality.ts and bench/search-latency.ts (Debian's python3-optuna).

  search_baseline.py quality FUNCTION SEEDS TRIALS   -> {"function", "best": [best value per seed]}
  search_baseline.py latency DIMS COMPLETED REPEATS [WARMUP]  -> {"dims", "completed", "ms_per_suggestion"}
"""
import json
import math
import os
import subprocess
import sys
import time

try:
    import optuna
except ImportError:
    if os.geteuid() != 0:
        sys.exit("optuna is missing: run `sudo apt-get install -y python3-optuna`")
    subprocess.run(["apt-get", "install", "-y", "python3-optuna"], check=True, stdout=subprocess.DEVNULL)
    import optuna

import numpy as np

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(x):
    a, b = x
    c1 = 5.1 / (4 * math.pi ** 2)
    return (b - c1 * a * a + (5 / math.pi) * a - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(a) + 10


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(H_ALPHA[i] * math.exp(-sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def levy(x):
    w = [1 + (v - 1) / 4 for v in x]
    s = math.sin(math.pi * w[0]) ** 2
    for i in range(len(w) - 1):
        s += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    return s + (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)


def ackley(x):
    n = len(x)
    return -20 * math.exp(-0.2 * math.sqrt(sum(v * v for v in x) / n)) - math.exp(sum(math.cos(2 * math.pi * v) for v in x) / n) + 20 + math.e


FUNCTIONS = {
    "branin": (branin, [-5, 0], [10, 15]),
    "hartmann6": (hartmann6, [0] * 6, [1] * 6),
    "rosenbrock4": (rosenbrock, [-5] * 4, [10] * 4),
    "rosenbrock10": (rosenbrock, [-5] * 10, [10] * 10),
    "levy10": (levy, [-10] * 10, [10] * 10),
    "ackley5": (ackley, [-32.768] * 5, [32.768] * 5),
}


def quality(name, seeds, trials, multivariate):
    f, lower, upper = FUNCTIONS[name]

    def objective(trial):
        return f([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(zip(lower, upper))])

    best = []
    for seed in range(seeds):
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed, multivariate=multivariate))
        study.optimize(objective, n_trials=trials)
        best.append(study.best_value)
    return {"function": name, "best": best}


def latency(dims, completed, repeats, warmup=0):
    rng = np.random.default_rng(0)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(dims)}
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=0))
    study.add_trials([
        optuna.trial.create_trial(params={k: float(rng.random()) for k in dists}, distributions=dists, value=float(rng.random()))
        for _ in range(completed)
    ])

    def suggest():
        trial = study.ask()
        for k in dists:
            trial.suggest_float(k, 0.0, 1.0)
        # Finished as failed so the model keeps exactly `completed` trials.
        study.tell(trial, state=optuna.trial.TrialState.FAIL)

    for _ in range(warmup):
        suggest()
    start = time.perf_counter()
    for _ in range(repeats):
        suggest()
    elapsed = time.perf_counter() - start
    return {"dims": dims, "completed": completed, "ms_per_suggestion": elapsed * 1000 / repeats}


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "quality":
        print(json.dumps(quality(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), len(sys.argv) > 5 and sys.argv[5] == "multivariate")))
    elif kind == "latency":
        print(json.dumps(latency(*(int(a) for a in sys.argv[2:6]))))
    else:
        sys.exit(f"unknown baseline kind {kind!r}: use quality or latency")
