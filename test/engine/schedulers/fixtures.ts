/** Synthetic populations and curves shared by the scheduler tests. */
import type { TrialConfig } from "../../../src/engine/interfaces.ts";
import { createRng } from "../../../src/engine/random.ts";
import type { SchedulerSpec } from "../../../src/engine/config.ts";
import { createScheduler, drainPolicyLines, type PolicyLine } from "../../../src/engine/schedulers/index.ts";
import { simulate, type Curve, type SimOutcome } from "./simulator.ts";

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

/** Runs a PBT-family scheduler on `curve` in the simulator, collecting its policy lines after every event (as the runner does). */
export function simulatePopulation(spec: SchedulerSpec, configs: TrialConfig[], seed = 4): { out: SimOutcome; lines: PolicyLine[] } {
  const scheduler = createScheduler(spec);
  const lines: PolicyLine[] = [];
  const collect = scheduler.takeActions?.bind(scheduler);
  scheduler.takeActions = () => {
    lines.push(...drainPolicyLines(scheduler));
    return collect?.() ?? [];
  };
  const out = simulate({ scheduler, configs, curve, maxIterations: 40, concurrency: 4, seed });
  lines.push(...drainPolicyLines(scheduler));
  return { out, lines };
}
