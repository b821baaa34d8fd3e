// Tune a tiny pure-Python MLP on the UCI handwritten digits (see README.md).
// 5 samples × 2 grid values = 10 trials of 12 epochs, 2 at a time: about half a minute.
import { defineConfig, loguniform, uniform, choice, randint, grid } from "tunelab";

export default defineConfig({
  name: "digits",
  trainable: { python: "train:train_fn" },
  space: {
    lr: loguniform(0.003, 0.3),
    momentum: uniform(0.5, 0.95),
    l2: loguniform(1e-6, 1e-2),
    batch_size: choice([16, 32, 64]),
    hidden: grid([16, 48]),
    seed: randint(0, 1000),
    epochs: 12,
  },
  metric: "val_acc",
  mode: "max",
  samples: 5,
  concurrency: 2,
  stop: { training_iteration: 12 },
  checkpoints: { keep: 2, scoreAttr: "val_acc", scoreOrder: "max" },
  maxFailures: 1,
  seed: 7,
});
