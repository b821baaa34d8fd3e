"""The class-trainable interface, shaped like Ray Tune's tune.Trainable."""


class Trainable:
    """Subclass and implement step(); `python -m tunelab.run module:MyTrainable` drives it.

    The driver calls setup(config) once, load_checkpoint(dir) when the trial resumes, then step()
    repeatedly, reporting each returned dict as one result. It calls save_checkpoint(dir) every
    `checkpoints.frequency` steps and, when `checkpoints.atEnd` is set, before it stops. A step
    result with `done: True` ends the trial. cleanup() runs last, whatever happened.
    """

    config = None
    """The trial's config, set before setup()."""
    iteration = 0
    """Steps finished so far (training_iteration of the last result), counting from a restore point."""
    trial_id = None
    trial_dir = None

    def setup(self, config):
        """Build the model, load data: runs once before the first step."""

    def step(self):
        """Run one unit of training (an epoch, say) and return its metrics as a dict."""
        raise NotImplementedError("%s must implement step()" % type(self).__name__)

    def save_checkpoint(self, checkpoint_dir):
        """Write everything needed to resume into the (existing, empty) directory checkpoint_dir."""
        raise NotImplementedError(
            "%s.save_checkpoint() is not implemented, but a checkpoint was asked for; implement it or set "
            "checkpoints.frequency to 0 and checkpoints.atEnd to false" % type(self).__name__)

    def load_checkpoint(self, checkpoint_dir):
        """Restore the state that save_checkpoint() wrote into checkpoint_dir."""
        raise NotImplementedError(
            "%s.load_checkpoint() is not implemented, but the trial is resuming from %s"
            % (type(self).__name__, checkpoint_dir))

    def cleanup(self):
        """Release resources: runs once at the end, after success, error or stop."""
