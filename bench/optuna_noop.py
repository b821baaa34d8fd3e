"""Baseline for bench/engine.ts: Optuna's per-trial overhead on no-op trials (Debian's python3-optuna)."""
import json
import sys
import tempfile
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)
n = int(sys.argv[1])
storage_kind = sys.argv[2] if len(sys.argv) > 2 else "memory"


def objective(trial):
    trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    trial.suggest_float("momentum", 0.5, 0.99)
    trial.suggest_categorical("batch", [16, 32, 64])
    return 0.0


if storage_kind == "journal":
    path = tempfile.mktemp(suffix=".log")
    storage = optuna.storages.JournalStorage(optuna.storages.JournalFileStorage(path))
else:
    storage = None
study = optuna.create_study(storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))
start = time.perf_counter()
study.optimize(objective, n_trials=n)
elapsed = time.perf_counter() - start
print(json.dumps({"trials": n, "seconds": elapsed, "storage": storage_kind}))
