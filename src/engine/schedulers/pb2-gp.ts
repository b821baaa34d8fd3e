/**
 * PB2's time-varying Gaussian process (Parker-Holder et al. 2020, Ray's
 * pb2_utils): inputs are [time, reward before the interval, hyperparameters...]
 * scaled to about [0, 1]; the kernel is a squared exponential on everything but
 * time, times (1 − ε)^(|t − t'|/2), so observations fade as the population
 * moves on. The acquisition is Ray's UCB: the mean of a GP on the data plus
 * κ·variance of a GP that also holds the configs already chosen this round
 * (with zero targets), so one round's picks spread out.
 *
 * Differences from Ray, for speed and determinism: the hyperparameters are
 * chosen on a fixed grid (the signal scale profiled out in closed form)
 * instead of by L-BFGS, and the acquisition is maximised by compass search
 * from seeded random starts. The linear algebra is the Bayesian-optimisation
 * searcher's (search/gp.ts).
 */
import type { Rng } from "../random.ts";
import { cholesky, solveLower, solveUpper } from "../search/gp.ts";

export interface TvHyper {
  /** Squared-exponential length scale (Ray's `exp(-d²/ℓ)` form), at most 1 as Ray clips it. */
  lengthscale: number;
  /** How fast old data fades, in [0, 0.5]. */
  epsilon: number;
  /** Noise variance relative to the signal variance. */
  noise: number;
}

const LENGTHSCALES = [0.05, 0.15, 0.4, 1];
const EPSILONS = [0.01, 0.1, 0.25, 0.5];
const NOISES = [0.01, 0.1, 1];

export function tvKernel(a: readonly number[], b: readonly number[], h: Pick<TvHyper, "lengthscale" | "epsilon">): number {
  let s = 0;
  for (let d = 1; d < a.length; d++) s += ((a[d] as number) - (b[d] as number)) ** 2;
  const dt = Math.abs((a[0] as number) - (b[0] as number));
  return Math.exp(-s / h.lengthscale) * (1 - h.epsilon) ** (dt / 2);
}

/** A posterior on standardised targets; `scale` is the signal variance that maximises the likelihood. */
export class TvPosterior {
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  readonly n: number;
  /** Signal variance (profiled out), and the log marginal likelihood at it. */
  readonly scale: number;
  readonly logLikelihood: number;

  constructor(private readonly x: readonly (readonly number[])[], y: readonly number[], readonly hyper: TvHyper) {
    const n = x.length;
    this.n = n;
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const v = tvKernel(x[i] as number[], x[j] as number[], hyper) + (i === j ? hyper.noise : 0);
        k[i * n + j] = v;
        k[j * n + i] = v;
      }
    }
    this.l = cholesky(k, n);
    this.alpha = solveUpper(this.l, n, solveLower(this.l, n, y));
    let quad = 0;
    let logDet = 0;
    for (let i = 0; i < n; i++) {
      quad += (y[i] as number) * (this.alpha[i] as number);
      logDet += 2 * Math.log(this.l[i * n + i] as number);
    }
    // With K = s·C the likelihood is maximal at s = yᵀC⁻¹y / n, which leaves only the grid to search.
    this.scale = Math.max(quad / Math.max(n, 1), 1e-12);
    this.logLikelihood = -0.5 * n * Math.log(this.scale) - 0.5 * logDet - 0.5 * n * (1 + Math.log(2 * Math.PI));
  }

  predict(at: readonly number[]): { mean: number; variance: number } {
    const ks = new Float64Array(this.n);
    let mean = 0;
    for (let i = 0; i < this.n; i++) {
      const v = tvKernel(at, this.x[i] as number[], this.hyper);
      ks[i] = v;
      mean += v * (this.alpha[i] as number);
    }
    const w = solveLower(this.l, this.n, ks);
    let explained = 0;
    for (let i = 0; i < this.n; i++) explained += (w[i] as number) ** 2;
    return { mean, variance: this.scale * Math.max(1 - explained, 0) };
  }
}

/** The grid point with the highest marginal likelihood (deterministic: no random restarts needed). */
export function fitTvGp(x: readonly (readonly number[])[], y: readonly number[]): TvPosterior {
  let best: TvPosterior | undefined;
  for (const lengthscale of LENGTHSCALES) {
    for (const epsilon of EPSILONS) {
      for (const noise of NOISES) {
        const gp = new TvPosterior(x, y, { lengthscale, epsilon, noise });
        if (!best || gp.logLikelihood > best.logLikelihood) best = gp;
      }
    }
  }
  return best as TvPosterior;
}

/** Ray's UCB weight: κ = √(0.2·log(0.4·n)), floored at 0 where Ray's would be NaN (n < 3). */
export function ucbKappa(n: number): number {
  return Math.sqrt(Math.max(0.2 * Math.log(0.4 * n), 0));
}

/**
 * The hyperparameters in [0, 1]^dims that maximise mean(m) + κ·variance(m1) at the fixed
 * [time, reward] prefix: compass search from `starts` seeded random points.
 */
export function maximizeUcb(m: TvPosterior, m1: TvPosterior, fixed: readonly number[], dims: number, rng: Rng, starts = 10): number[] {
  const kappa = ucbKappa(m.n);
  const value = (h: readonly number[]): number => {
    const at = [...fixed, ...h];
    return m.predict(at).mean + kappa * m1.predict(at).variance;
  };
  let best: number[] = [];
  let bestValue = -Infinity;
  for (let s = 0; s < starts; s++) {
    let point = Array.from({ length: dims }, () => rng.next());
    let v = value(point);
    // Each move strictly improves on a lattice, so this ends; the round cap bounds the cost anyway.
    for (let step = 0.25, round = 0; step >= 1e-3 && round < 200; round++) {
      let moved = false;
      for (let d = 0; d < dims; d++) {
        for (const sign of [1, -1]) {
          const next = point.slice();
          next[d] = Math.min(Math.max((next[d] as number) + sign * step, 0), 1);
          const nv = value(next);
          if (nv > v) {
            point = next;
            v = nv;
            moved = true;
          }
        }
      }
      if (!moved) step /= 2;
    }
    if (v > bestValue) {
      bestValue = v;
      best = point;
    }
  }
  return best;
}
