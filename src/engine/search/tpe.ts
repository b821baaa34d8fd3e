/**
 * Tree-structured Parzen Estimator. After `nStartupTrials` random trials,
 * split the finished trials at the best min(ceil(gamma·n), 25) into l (good)
 * and g (the rest), draw `nEiCandidates` from l and keep the one with the
 * highest log l − log g.
 *
 * Two flavours share that loop and differ in the estimators:
 * - "optuna": Optuna's TPESampler (3.x) exactly — univariate by default,
 *   kernels weighed by bandwidth in the scores (ParzenOptions.bandwidthWeighted
 *   says why), Scott-like widths when multivariate, and the magic clip counted
 *   per estimator. Tests check it against numbers computed by Optuna.
 * - "tunelab" (default): joint (multivariate) kernels whose widths per dimension
 *   come from the neighbours, as Optuna's univariate rule (the combination
 *   Watanabe's TPE ablation study recommends); plain mixtures, each kernel
 *   weighed by its age ramp only; one magic-clip floor for l and g,
 *   range/min(50, 1 + trials in the split), so l can narrow past range/26 as
 *   trials accrue and g stays smooth where the rest crowd; prior weight 2.
 *   Univariate estimators (multivariate: false, and conditional parameters)
 *   keep Optuna's rules. bench/search-quality measures both against Optuna
 *   (docs/search.md).
 *
 * Univariate: each parameter on its own, from the trials where it exists
 * (conditional parameters fit on the trials that chose their branch).
 * Multivariate: the parameters every config has are drawn jointly from one
 * product-kernel mixture; conditional ones stay univariate (Optuna's
 * multivariate=True, group=False).
 *
 * The model uses the last reported metric of finished trials only. Running
 * trials count only with constantLiar, as the worst observations (Optuna's
 * constant_liar), which keeps concurrent workers from piling onto one point.
 */
import type { TpeOptions } from "./specs.ts";
import { ModelSearcher } from "./model-searcher.ts";
import { ParzenEstimator, type ParzenOptions } from "./parzen.ts";
import { buildConfig, randomChooser, unconditionalParams, type Built, type Param, type ParamChooser } from "./params.ts";
import type { TrialRecord } from "./history.ts";

/** Optuna's default gamma: the best 10% of trials, at most 25, form the "good" model. */
export function nBelow(n: number, gamma: number): number {
  return Math.min(Math.ceil(gamma * n), 25);
}

/**
 * Split into (good, rest), each kept in trial order so the age ramp of the
 * weights applies: good is the nBelow lowest losses, ties going to the older
 * trial (Optuna's stable sort). The cut comes from a native numeric sort (a
 * comparator sort was a tenth of the suggestion time at 1,000 trials).
 */
export function splitByLoss<T extends { loss: number }>(items: readonly T[], gamma: number): [T[], T[]] {
  const k = nBelow(items.length, gamma);
  const sorted = Float64Array.from(items, (s) => s.loss).sort();
  const cut = k > 0 ? (sorted[k - 1] as number) : -Infinity;
  let ties = 0;
  for (let i = 0; i < k; i++) if (sorted[i] === cut) ties++;
  const below: T[] = [];
  const above: T[] = [];
  for (const s of items) {
    if (s.loss < cut || (s.loss === cut && ties-- > 0)) below.push(s);
    else above.push(s);
  }
  return [below, above];
}

interface Scored {
  loss: number;
  order: number;
  record: TrialRecord;
}

export class TpeSearcher extends ModelSearcher {
  private readonly opts: Required<Omit<TpeOptions, "seed" | "pointsToEvaluate">>;

  constructor(options: TpeOptions = {}) {
    super("tpe", options.seed, options.pointsToEvaluate ?? []);
    this.opts = {
      nStartupTrials: options.nStartupTrials ?? 10,
      nEiCandidates: options.nEiCandidates ?? 24,
      gamma: options.gamma ?? 0.1,
      flavor: options.flavor ?? "tunelab",
      priorWeight: options.priorWeight ?? (options.flavor === "optuna" ? 1 : 2),
      considerPrior: options.considerPrior ?? true,
      considerMagicClip: options.considerMagicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
      multivariate: options.multivariate ?? options.flavor !== "optuna",
      constantLiar: options.constantLiar ?? false,
    };
  }

  protected propose(): Built {
    const observed = this.observed();
    const finished = observed.filter((o) => o.loss !== Infinity).length;
    if (finished < this.opts.nStartupTrials) return buildConfig(this.space, randomChooser(this.rng), this.rng);
    const joint = this.opts.multivariate ? this.jointSample(observed) : new Map<string, number>();
    // Parameters every observed trial has share one split.
    let shared: [Scored[], Scored[]] | undefined;
    const univariate = (p: Param): number => {
      const present = observed.filter((s) => s.record.obs[p.key] !== undefined);
      const [good, rest] = present.length === observed.length ? (shared ??= splitByLoss(observed, this.opts.gamma)) : splitByLoss(present, this.opts.gamma);
      return this.best([p], good, rest, false)[0] as number;
    };
    const chooser: ParamChooser = {
      float: (p) => joint.get(p.key) ?? univariate(p),
      cat: (p) => joint.get(p.key) ?? univariate(p),
    };
    return buildConfig(this.space, chooser, this.rng);
  }

  /** Finished trials with their loss, plus running ones as +Infinity under the constant liar; in trial order. */
  private observed(): Scored[] {
    const out: Scored[] = [];
    this.history.trials.forEach((record, order) => {
      if (record.state === "done" && record.loss !== undefined) out.push({ loss: record.loss, order, record });
      else if (record.state === "running" && this.opts.constantLiar) out.push({ loss: Infinity, order, record });
    });
    return out;
  }

  private parzen(multivariate: boolean, trials: number): ParzenOptions {
    const common = { priorWeight: this.opts.priorWeight, considerPrior: this.opts.considerPrior, magicClip: this.opts.considerMagicClip, endpoints: this.opts.considerEndpoints };
    // The tunelab flavour's rules are for joint kernels: on univariate ones they raised Hartmann6's regret sevenfold.
    return this.opts.flavor === "tunelab" && multivariate
      ? { ...common, bandwidth: "neighbours", clipCount: trials, clipCap: 50 }
      : { ...common, bandwidth: multivariate ? "scott" : "neighbours", bandwidthWeighted: true };
  }

  /** The best of nEiCandidates draws from l by log l − log g. */
  private best(params: readonly Param[], good: Scored[], rest: Scored[], multivariate: boolean): number[] {
    const columns = (group: Scored[]): number[][] => params.map((p) => group.map((s) => s.record.obs[p.key] ?? 0));
    const options = this.parzen(multivariate, good.length + rest.length);
    const l = new ParzenEstimator(params, columns(good), options);
    const g = new ParzenEstimator(params, columns(rest), options);
    const candidates = l.sample(this.rng, this.opts.nEiCandidates);
    const ll = l.logPdf(candidates);
    const lg = g.logPdf(candidates);
    let bestIndex = 0;
    let bestScore = -Infinity;
    candidates.forEach((_, i) => {
      const score = (ll[i] as number) - (lg[i] as number);
      if (score > bestScore) {
        bestScore = score;
        bestIndex = i;
      }
    });
    return candidates[bestIndex] as number[];
  }

  private jointSample(observed: Scored[]): Map<string, number> {
    const params = unconditionalParams(this.space);
    if (params.length === 0) return new Map();
    const present = observed.filter((s) => params.every((p) => s.record.obs[p.key] !== undefined));
    const [good, rest] = splitByLoss(present, this.opts.gamma);
    const row = this.best(params, good, rest, true);
    return new Map(params.map((p, i) => [p.key, row[i] as number]));
  }
}
