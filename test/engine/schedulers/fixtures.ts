/** Synthetic populations and curves shared by the scheduler tests. */
import type { TrialConfig } from "../../../src/engine/interfaces.ts";
import { createRng } from "../../../src/engine/random.ts";
import type { Curve } from "./simulator.ts";

/**
 * A trial approaches its quality `q` at a speed that peaks at lr = 0.1. Deterministic: the metric
 * depends only on the config and the model state, so a replay can reproduce it exactly.
 */
export const curve: Curve = (config, state) => {
  const lr = Number(config.lr ?? 0.1);
  const q = Number(config.q ?? 0.5);
  const speed = 0.3 * Math.exp(-((Math.log10(lr) + 1) ** 2));
  const next = state + (q - state) * speed;
  return { state: next, metric: next };
};

/** `n` configs with random quality and learning rate, reproducible from `seed`. */
export function population(n: number, seed = 3): TrialConfig[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => ({ q: 0.3 + 0.7 * rng.next(), lr: 10 ** (-3 + 3 * rng.next()), width: [16, 32, 64][rng.int(0, 3)] }));
}
