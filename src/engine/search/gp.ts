/**
 * A Gaussian process with a Matérn 5/2 ARD kernel and a noise term, on inputs
 * scaled to [0, 1]. Targets are standardised. Hyperparameters (log length
 * scales, log signal variance, log noise variance) maximise the log marginal
 * likelihood by projected Adam with the analytic gradient; the Cholesky
 * factorisation adds jitter until it succeeds. Fitting is O(n³) per step, so
 * it is meant for up to ~500 observations.
 */
import type { Rng } from "../random.ts";

export interface GpHyper {
  logLs: number[];
  logSf2: number;
  logSn2: number;
}

const SQRT5 = Math.sqrt(5);
/** Box on the hyperparameters (log scale): keeps the fit away from degenerate optima. */
const BOUNDS = { ls: [Math.log(0.01), Math.log(20)], sf2: [Math.log(0.05), Math.log(20)], sn2: [Math.log(1e-6), Math.log(1)] } as const;

const clampTo = (v: number, [lo, hi]: readonly [number, number]): number => Math.min(Math.max(v, lo), hi);

export function defaultHyper(dims: number): GpHyper {
  return { logLs: new Array<number>(dims).fill(Math.log(0.3)), logSf2: 0, logSn2: Math.log(1e-3) };
}

/** Lower Cholesky factor of the n×n row-major `a`, adding jitter to the diagonal until it is positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array {
  for (let jitter = 0, tries = 0; tries < 8; tries++, jitter = jitter === 0 ? 1e-10 : jitter * 100) {
    const l = new Float64Array(n * n);
    let ok = true;
    for (let i = 0; i < n && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * n + j] as number;
        if (i === j) s += jitter;
        for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
        if (i === j) {
          if (!(s > 0)) { ok = false; break; }
          l[i * n + i] = Math.sqrt(s);
        } else {
          l[i * n + j] = s / (l[j * n + j] as number);
        }
      }
    }
    if (ok) return l;
  }
  throw new Error("Gaussian process: the kernel matrix is not positive definite even with jitter (duplicate points with zero noise?)");
}

/** Solve L x = b (forward substitution). */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (x[k] as number);
    x[i] = s / (l[i * n + i] as number);
  }
  return x;
}

/** Solve Lᵀ x = b (back substitution). */
export function solveUpper(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (x[k] as number);
    x[i] = s / (l[i * n + i] as number);
  }
  return x;
}

/** K⁻¹ = L⁻ᵀ L⁻¹ from the Cholesky factor (about n³/3 multiply-adds). */
export function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // Lower-triangular M = L⁻¹, column by column.
  const m = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    m[j * n + j] = 1 / (l[j * n + j] as number);
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let k = j; k < i; k++) s -= (l[i * n + k] as number) * (m[k * n + j] as number);
      m[i * n + j] = s / (l[i * n + i] as number);
    }
  }
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = i; k < n; k++) s += (m[k * n + i] as number) * (m[k * n + j] as number);
      inv[i * n + j] = s;
      inv[j * n + i] = s;
    }
  }
  return inv;
}

function matern(r: number): number {
  return (1 + SQRT5 * r + (5 / 3) * r * r) * Math.exp(-SQRT5 * r);
}

/** Log marginal likelihood and its gradient [∂/∂logLs..., ∂/∂logSf2, ∂/∂logSn2]. */
export function logMarginal(x: readonly (readonly number[])[], y: ArrayLike<number>, h: GpHyper): { value: number; grad: number[] } {
  const n = x.length;
  const dims = h.logLs.length;
  const ls = h.logLs.map(Math.exp);
  const sf2 = Math.exp(h.logSf2);
  const sn2 = Math.exp(h.logSn2);
  const k = new Float64Array(n * n);
  const rr = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let d = 0; d < dims; d++) {
        const t = ((x[i]?.[d] ?? 0) - (x[j]?.[d] ?? 0)) / (ls[d] as number);
        s += t * t;
      }
      const r = Math.sqrt(s);
      const v = sf2 * matern(r) + (i === j ? sn2 : 0);
      k[i * n + j] = v; k[j * n + i] = v;
      rr[i * n + j] = r; rr[j * n + i] = r;
    }
  }
  const l = cholesky(k, n);
  const alpha = solveUpper(l, n, solveLower(l, n, y));
  let value = -0.5 * n * Math.log(2 * Math.PI);
  for (let i = 0; i < n; i++) value += -0.5 * (y[i] as number) * (alpha[i] as number) - Math.log(l[i * n + i] as number);
  // W = ααᵀ − K⁻¹; ∂LML/∂θ = ½ Σ W ∘ ∂K/∂θ.
  const inv = inverseFromCholesky(l, n);
  const grad = new Array<number>(dims + 2).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const w = (alpha[i] as number) * (alpha[j] as number) - (inv[i * n + j] as number);
      const r = rr[i * n + j] as number;
      const kf = sf2 * matern(r);
      grad[dims] = (grad[dims] as number) + 0.5 * w * kf;
      if (i === j) { grad[dims + 1] = (grad[dims + 1] as number) + 0.5 * w * sn2; continue; }
      const common = 0.5 * w * sf2 * (5 / 3) * (1 + SQRT5 * r) * Math.exp(-SQRT5 * r);
      for (let d = 0; d < dims; d++) {
        const t = ((x[i]?.[d] ?? 0) - (x[j]?.[d] ?? 0)) / (ls[d] as number);
        grad[d] = (grad[d] as number) + common * t * t;
      }
    }
  }
  return { value, grad };
}

const toVector = (h: GpHyper): number[] => [...h.logLs, h.logSf2, h.logSn2];
const fromVector = (v: readonly number[], dims: number): GpHyper => ({
  logLs: v.slice(0, dims).map((u) => clampTo(u, BOUNDS.ls)),
  logSf2: clampTo(v[dims] ?? 0, BOUNDS.sf2),
  logSn2: clampTo(v[dims + 1] ?? 0, BOUNDS.sn2),
});

/** Hyperparameters that maximise the marginal likelihood: `start` plus `restarts` random starts, `iters` Adam steps each. */
export function fitHyper(x: readonly (readonly number[])[], y: ArrayLike<number>, rng: Rng, start: GpHyper, restarts: number, iters: number): GpHyper {
  const dims = start.logLs.length;
  const starts = [start];
  for (let r = 0; r < restarts; r++) {
    starts.push({
      logLs: start.logLs.map(() => Math.log(0.05) + rng.next() * (Math.log(2) - Math.log(0.05))),
      logSf2: Math.log(0.5) + rng.next() * Math.log(4),
      logSn2: Math.log(1e-5) + rng.next() * (Math.log(0.1) - Math.log(1e-5)),
    });
  }
  let best = start;
  let bestValue = -Infinity;
  for (const s of starts) {
    let v = toVector(fromVector(toVector(s), dims));
    const m = new Array<number>(v.length).fill(0);
    const m2 = new Array<number>(v.length).fill(0);
    let current = fromVector(v, dims);
    let currentValue = -Infinity;
    for (let t = 1; t <= iters; t++) {
      let out: { value: number; grad: number[] };
      try {
        out = logMarginal(x, y, current);
      } catch {
        break;
      }
      if (out.value > currentValue) currentValue = out.value;
      if (currentValue > bestValue) { bestValue = currentValue; best = current; }
      // Adam ascent in log space, projected onto the box.
      v = v.map((u, i) => {
        const g = out.grad[i] as number;
        m[i] = 0.9 * (m[i] as number) + 0.1 * g;
        m2[i] = 0.999 * (m2[i] as number) + 0.001 * g * g;
        const mh = (m[i] as number) / (1 - 0.9 ** t);
        const vh = (m2[i] as number) / (1 - 0.999 ** t);
        return u + (0.1 * mh) / (Math.sqrt(vh) + 1e-8);
      });
      current = fromVector(v, dims);
      v = toVector(current);
    }
  }
  return best;
}

/** A fitted posterior: mean and standard deviation of standardised targets at new inputs. */
export class GpPosterior {
  private readonly l: Float64Array;
  private readonly alpha: Float64Array;
  private readonly ls: number[];
  private readonly sf2: number;
  readonly n: number;

  constructor(private readonly x: readonly (readonly number[])[], y: ArrayLike<number>, readonly hyper: GpHyper) {
    const n = x.length;
    this.n = n;
    this.ls = hyper.logLs.map(Math.exp);
    this.sf2 = Math.exp(hyper.logSf2);
    const sn2 = Math.exp(hyper.logSn2);
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const v = this.kernel(x[i] as readonly number[], x[j] as readonly number[]) + (i === j ? sn2 : 0);
        k[i * n + j] = v; k[j * n + i] = v;
      }
    }
    this.l = cholesky(k, n);
    this.alpha = solveUpper(this.l, n, solveLower(this.l, n, y));
  }

  kernel(a: readonly number[], b: readonly number[]): number {
    let s = 0;
    for (let d = 0; d < this.ls.length; d++) {
      const t = ((a[d] ?? 0) - (b[d] ?? 0)) / (this.ls[d] as number);
      s += t * t;
    }
    return this.sf2 * matern(Math.sqrt(s));
  }

  predict(at: readonly number[]): { mean: number; sd: number } {
    const ks = new Float64Array(this.n);
    let mean = 0;
    for (let i = 0; i < this.n; i++) {
      const v = this.kernel(at, this.x[i] as readonly number[]);
      ks[i] = v;
      mean += v * (this.alpha[i] as number);
    }
    const w = solveLower(this.l, this.n, ks);
    let explained = 0;
    for (let i = 0; i < this.n; i++) explained += (w[i] as number) ** 2;
    return { mean, sd: Math.sqrt(Math.max(this.sf2 - explained, 1e-12)) };
  }
}
