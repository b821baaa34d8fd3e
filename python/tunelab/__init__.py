"""Tunelab's Python client: report results and checkpoints from a trial (stdlib only).

    import tunelab
    config = tunelab.get_config()
    for epoch in range(config["epochs"]):
        ...
        tunelab.report({"val_acc": acc}, checkpoint=saved_dir)

The wire protocol is in docs/protocol.md; any language can speak it.
"""

from ._session import (
    checkpoint_dir,
    get_checkpoint,
    get_config,
    get_experiment_dir,
    get_iteration,
    get_trial_dir,
    get_trial_id,
    is_tunelab,
    report,
)
from .trainable import Trainable

__version__ = "0.1.0"

__all__ = [
    "Trainable",
    "checkpoint_dir",
    "get_checkpoint",
    "get_config",
    "get_experiment_dir",
    "get_iteration",
    "get_trial_dir",
    "get_trial_id",
    "is_tunelab",
    "report",
]
