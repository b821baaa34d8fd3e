/**
 * BOHB's searcher (hpbandster's CG_BOHB, as Ray's TuneBOHB uses it): a
 * good/bad pair of product-kernel KDEs per budget, the model of the largest
 * budget with enough trials drawing the next config. The budget is a
 * result's `training_iteration`: every result with the metric records the
 * trial's loss at that budget, so the HyperBand-for-BOHB scheduler that
 * pauses trials at rungs (1, η, η², ... iterations) gives each rung its
 * model. Without budgets (a plain FIFO run), finished trials' last metric
 * forms one budget.
 *
 * Inputs are on [0, 1] (floats on the internal scale of params.ts) and
 * category indices; a parameter a trial does not have (another branch's) is
 * left out of that trial's kernel product.
 */
import type { BohbOptions } from "./specs.ts";
import { ModelSearcher } from "./model-searcher.ts";
import { allParams, buildConfig, normalQuantile, normalCdf, randomChooser, type Built, type Param } from "./params.ts";
import type { TrialRecord } from "./history.ts";

interface Kde {
  data: number[][];
  bw: number[];
}

export class BohbSearcher extends ModelSearcher {
  private params: Param[] = [];
  private readonly opts: Required<Omit<BohbOptions, "seed" | "pointsToEvaluate" | "minPointsInModel">> & { minPointsInModel: number | undefined };

  constructor(options: BohbOptions = {}) {
    super("bohb", options.seed, options.pointsToEvaluate ?? []);
    this.opts = {
      minPointsInModel: options.minPointsInModel,
      topNPercent: options.topNPercent ?? 15,
      numSamples: options.numSamples ?? 64,
      randomFraction: options.randomFraction ?? 1 / 3,
      bandwidthFactor: options.bandwidthFactor ?? 3,
      minBandwidth: options.minBandwidth ?? 1e-3,
    };
  }

  protected override restoreModel(): void {
    this.params = allParams(this.space);
  }

  private get minPoints(): number {
    return this.opts.minPointsInModel ?? this.params.length + 1;
  }

  /** Unit-scale vector of a trial (NaN where it lacks the parameter). */
  private vector(t: TrialRecord): number[] {
    return this.params.map((p) => {
      const v = t.obs[p.key];
      if (v === undefined) return NaN;
      return p.kind === "float" ? (v - p.low) / (p.high - p.low || 1) : v;
    });
  }

  /** (vectors, losses) at the largest budget with enough trials for a model, as hpbandster picks it. */
  private trainingSet(): { x: number[][]; loss: number[] } | undefined {
    const byBudget = new Map<number, { x: number[][]; loss: number[] }>();
    for (const t of this.history.trials) {
      if (t.state === "error") continue;
      for (const [b, loss] of Object.entries(t.budgets ?? {})) {
        const entry = byBudget.get(Number(b)) ?? { x: [], loss: [] };
        entry.x.push(this.vector(t));
        entry.loss.push(loss);
        byBudget.set(Number(b), entry);
      }
    }
    const budgets = [...byBudget.keys()].sort((a, b) => b - a);
    for (const b of budgets) {
      const entry = byBudget.get(b);
      if (entry && entry.x.length >= this.minPoints + 2) return entry;
    }
    const done = this.history.done();
    if (done.length >= this.minPoints + 2) return { x: done.map((t) => this.vector(t)), loss: done.map((t) => t.loss as number) };
    return undefined;
  }

  protected propose(): Built {
    const random = (): Built => buildConfig(this.space, randomChooser(this.rng), this.rng);
    if (this.params.length === 0 || this.rng.next() < this.opts.randomFraction) return random();
    const set = this.trainingSet();
    if (!set) return random();
    const n = set.x.length;
    const nGood = Math.max(this.minPoints, Math.floor((this.opts.topNPercent * n) / 100));
    const nBad = Math.max(this.minPoints, Math.floor(((100 - this.opts.topNPercent) * n) / 100));
    const order = set.loss.map((l, i) => ({ l, i })).sort((a, b) => a.l - b.l || a.i - b.i).map((o) => o.i);
    const good = this.kde(order.slice(0, nGood).map((i) => set.x[i] as number[]));
    const bad = this.kde(order.slice(nGood, nGood + nBad).map((i) => set.x[i] as number[]));
    if (good.data.length === 0 || bad.data.length === 0) return random();
    let best: number[] | undefined;
    let bestScore = Infinity;
    for (let s = 0; s < this.opts.numSamples; s++) {
      const datum = good.data[this.rng.int(0, good.data.length)] as number[];
      const candidate = this.params.map((p, d) => {
        const v = datum[d] as number;
        if (Number.isNaN(v)) return p.kind === "float" ? this.rng.next() : this.rng.int(0, p.n);
        const bw = Math.max(good.bw[d] as number, this.opts.minBandwidth);
        if (p.kind === "cat") return this.rng.next() < 1 - bw ? v : this.rng.int(0, p.n);
        return truncated(v, bw * this.opts.bandwidthFactor, this.rng.next());
      });
      // hpbandster minimises max(g, 1e-32) / max(l, 1e-32).
      const score = Math.max(this.pdf(bad, candidate), 1e-32) / Math.max(this.pdf(good, candidate), 1e-32);
      if (score < bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    if (!best) return random();
    const chosen = best;
    const index = new Map(this.params.map((p, d) => [p.key, d]));
    return buildConfig(this.space, {
      float: (p) => p.low + (chosen[index.get(p.key) ?? 0] ?? 0.5) * (p.high - p.low),
      cat: (p) => Math.min(Math.max(Math.round(chosen[index.get(p.key) ?? 0] ?? 0), 0), p.n - 1),
    }, this.rng);
  }

  /** statsmodels' normal_reference bandwidths (1.06·sd·n^(-1/(4+d))), floored at minBandwidth. */
  private kde(data: number[][]): Kde {
    const d = this.params.length;
    const bw = this.params.map((_, j) => {
      const col = data.map((r) => r[j] as number).filter((v) => !Number.isNaN(v));
      if (col.length < 2) return this.opts.minBandwidth;
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / (col.length - 1));
      return Math.max(1.06 * sd * col.length ** (-1 / (4 + d)), this.opts.minBandwidth);
    });
    return { data, bw };
  }

  /** Product kernel density: Gaussian for floats, Aitchison–Aitken for categories; missing dimensions skipped. */
  private pdf(kde: Kde, at: number[]): number {
    let total = 0;
    for (const row of kde.data) {
      let k = 1;
      this.params.forEach((p, j) => {
        const a = at[j] as number;
        const b = row[j] as number;
        if (Number.isNaN(a) || Number.isNaN(b)) return;
        const bw = kde.bw[j] as number;
        if (p.kind === "cat") {
          const lambda = Math.min(bw, 1 - 1e-9);
          k *= a === b ? 1 - lambda : lambda / Math.max(p.n - 1, 1);
        } else {
          const z = (a - b) / bw;
          k *= Math.exp(-0.5 * z * z) / (bw * Math.sqrt(2 * Math.PI));
        }
      });
      total += k;
    }
    return total / Math.max(kde.data.length, 1);
  }
}

/** A normal(mu, sd) draw truncated to [0, 1], by inverting the CDF at `u`. */
function truncated(mu: number, sd: number, u: number): number {
  const pa = normalCdf((0 - mu) / sd);
  const pb = normalCdf((1 - mu) / sd);
  const p = Math.min(Math.max(pa + u * (pb - pa), 1e-12), 1 - 1e-12);
  return Math.min(Math.max(mu + sd * normalQuantile(p), 0), 1);
}
