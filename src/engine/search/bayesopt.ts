/**
 * Gaussian-process Bayesian optimisation, as Ray's BayesOptSearch (bayes_opt):
 * `randomSearchSteps` random trials, then the point that maximises the
 * utility (UCB with kappa, EI or POI with xi) under a GP fitted to the
 * finished trials. Unlike bayes_opt, the kernel has one length scale per
 * input (ARD), the noise is fitted, and categorical and conditional
 * parameters are supported: a choice is one-hot, and an input a trial does
 * not have (another branch's parameter) sits at the centre of its range.
 * Integer and quantised parameters are rounded after the utility is
 * maximised, and the GP learns the rounded value that was really run.
 *
 * Cost is O(n³) in the trials used; past 500 finished trials the model keeps
 * the best 250 and the newest 250.
 */
import type { BayesOptOptions } from "./specs.ts";
import { ModelSearcher } from "./model-searcher.ts";
import { defaultHyper, fitHyper, GpPosterior, type GpHyper } from "./gp.ts";
import { allParams, buildConfig, normalCdf, randomChooser, type Built, type Observation, type Param } from "./params.ts";
import type { TrialRecord } from "./history.ts";

const MAX_POINTS = 500;
/** Candidates for the utility: random ones grow with the inputs, local ones sit near the best trials. */
const randomCandidates = (dims: number): number => Math.min(1000, 100 + 50 * dims);
const LOCAL_CANDIDATES = 100;
const REFINE_STARTS = 3;
const REFINE_STEPS = 20;

export class BayesOptSearcher extends ModelSearcher {
  private hyper: GpHyper | undefined;
  private params: Param[] = [];
  private readonly utility: { kind: "ucb" | "ei" | "poi"; kappa: number; xi: number };
  private readonly randomSteps: number;
  private readonly restarts: number;

  constructor(options: BayesOptOptions = {}) {
    super("bayesopt", options.seed, options.pointsToEvaluate ?? []);
    this.utility = { kind: options.utility?.kind ?? "ucb", kappa: options.utility?.kappa ?? 2.576, xi: options.utility?.xi ?? 0 };
    this.randomSteps = options.randomSearchSteps ?? 10;
    this.restarts = options.nRestarts ?? 2;
  }

  protected override saveModel(): unknown {
    return this.hyper ?? null;
  }

  protected override restoreModel(state: unknown): void {
    this.hyper = state === null ? undefined : (state as GpHyper);
    this.params = allParams(this.space);
  }

  /** Inputs on [0, 1]: one per float, one-hot per categorical. */
  encode(obs: Observation): number[] {
    const out: number[] = [];
    for (const p of this.params) {
      const v = obs[p.key];
      if (p.kind === "float") out.push(v === undefined ? 0.5 : (v - p.low) / (p.high - p.low || 1));
      else for (let c = 0; c < p.n; c++) out.push(v === c ? 1 : 0);
    }
    return out;
  }

  protected propose(): Built {
    let done = this.history.done();
    if (done.length < this.randomSteps || this.params.length === 0) return buildConfig(this.space, randomChooser(this.rng), this.rng);
    done = keep(done);
    const x = done.map((t) => this.encode(t.obs));
    const f = done.map((t) => -(t.loss as number));
    const mean = f.reduce((a, b) => a + b, 0) / f.length;
    const sd = Math.sqrt(f.reduce((a, b) => a + (b - mean) ** 2, 0) / f.length) || 1;
    const y = f.map((v) => (v - mean) / sd);
    const dims = x[0]?.length ?? 0;
    const start = this.hyper && this.hyper.logLs.length === dims ? this.hyper : defaultHyper(dims);
    // Length scales move slowly: full restarts every 25 trials, a warm-started
    // refinement every 5, and the last fit in between (keeps 500 points affordable).
    const full = this.hyper === undefined || done.length % 25 === 0;
    if (full || done.length % 5 === 0) this.hyper = fitHyper(x, y, this.rng, start, full ? this.restarts : 0, full ? 30 : 10);
    if (!this.hyper) this.hyper = start;
    const gp = new GpPosterior(x, y, this.hyper);
    const best = Math.max(...y);
    const xi = this.utility.xi / sd;
    const score = (at: number[]): number => {
      const { mean: mu, sd: s } = gp.predict(at);
      if (this.utility.kind === "ucb") return mu + this.utility.kappa * s;
      const z = (mu - best - xi) / s;
      if (this.utility.kind === "poi") return normalCdf(z);
      return (mu - best - xi) * normalCdf(z) + (s * Math.exp(-0.5 * z * z)) / Math.sqrt(2 * Math.PI);
    };
    const ranked = this.candidates(x, y).map((c) => ({ c, s: score(c) })).sort((a, b) => b.s - a.s);
    let winner = ranked[0] ?? { c: x[0] as number[], s: -Infinity };
    for (const startPoint of ranked.slice(0, REFINE_STARTS)) {
      let cur = startPoint;
      for (let t = 0; t < REFINE_STEPS; t++) {
        const next = this.perturb(cur.c, 0.1 * 0.85 ** t);
        const s = score(next);
        if (s > cur.s) cur = { c: next, s };
      }
      if (cur.s > winner.s) winner = cur;
    }
    return buildConfig(this.space, this.decoder(winner.c), this.rng);
  }

  private randomPoint(): number[] {
    const out: number[] = [];
    for (const p of this.params) {
      if (p.kind === "float") out.push(this.rng.next());
      else {
        const pick = this.rng.int(0, p.n);
        for (let c = 0; c < p.n; c++) out.push(c === pick ? 1 : 0);
      }
    }
    return out;
  }

  /** Random points, and points near the best five observed (where the optimum most likely is). */
  private candidates(x: number[][], y: number[]): number[][] {
    const out: number[][] = [];
    const count = randomCandidates(x[0]?.length ?? 1);
    for (let i = 0; i < count; i++) out.push(this.randomPoint());
    const top = y.map((v, i) => ({ v, i })).sort((a, b) => b.v - a.v).slice(0, 5);
    for (let i = 0; i < LOCAL_CANDIDATES; i++) {
      const base = x[top[i % top.length]?.i ?? 0] as number[];
      out.push(this.perturb(base, 0.05));
    }
    return out;
  }

  /** A Gaussian step on the floats (kept in [0, 1]); each categorical switches category with probability 0.1. */
  private perturb(at: number[], sigma: number): number[] {
    const out = [...at];
    let d = 0;
    for (const p of this.params) {
      if (p.kind === "float") {
        out[d] = Math.min(Math.max((out[d] as number) + sigma * this.rng.normal(), 0), 1);
        d += 1;
      } else {
        if (this.rng.next() < 0.1) {
          const pick = this.rng.int(0, p.n);
          for (let c = 0; c < p.n; c++) out[d + c] = c === pick ? 1 : 0;
        }
        d += p.n;
      }
    }
    return out;
  }

  /** Reads a GP input back as parameter values: scale back floats, argmax the one-hot blocks. */
  private decoder(at: number[]): { float: (p: Param & { kind: "float" }) => number; cat: (p: Param & { kind: "cat" }) => number } {
    const offset = new Map<string, number>();
    let d = 0;
    for (const p of this.params) {
      offset.set(p.key, d);
      d += p.kind === "float" ? 1 : p.n;
    }
    return {
      float: (p) => p.low + (at[offset.get(p.key) ?? 0] ?? 0.5) * (p.high - p.low),
      cat: (p) => {
        const o = offset.get(p.key) ?? 0;
        let best = 0;
        for (let c = 1; c < p.n; c++) if ((at[o + c] ?? 0) > (at[o + best] ?? 0)) best = c;
        return best;
      },
    };
  }
}

/** At most MAX_POINTS trials: the best half and the newest half of the cap. */
function keep(done: TrialRecord[]): TrialRecord[] {
  if (done.length <= MAX_POINTS) return done;
  const half = MAX_POINTS / 2;
  const best = new Set([...done].sort((a, b) => (a.loss as number) - (b.loss as number)).slice(0, half));
  const recent = done.filter((t) => !best.has(t)).slice(-half);
  return done.filter((t) => best.has(t) || recent.includes(t));
}
