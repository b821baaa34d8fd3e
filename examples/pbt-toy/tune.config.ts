// PBT on a toy whose best learning rate changes over time (see train.py).
// 8 trials × 200 steps; every 10 steps the bottom quarter copies a top-quarter trial and perturbs its lr.
import { defineConfig, loguniform, pbt } from "tunelab";

export default defineConfig({
  name: "pbt-toy",
  trainable: { python: "train:train" },
  space: { lr: loguniform(1e-4, 1e-1), seed: 0, steps: 200 },
  metric: "mean_accuracy",
  mode: "max",
  samples: 8,
  concurrency: 4,
  stop: { training_iteration: 200 },
  scheduler: pbt({
    timeAttr: "training_iteration",
    perturbationInterval: 10,
    hyperparamMutations: { lr: loguniform(1e-4, 1e-1) },
  }),
  seed: 3,
});
