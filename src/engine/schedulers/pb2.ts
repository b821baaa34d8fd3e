/**
 * Population Based Bandits (Ray's PB2; Parker-Holder et al. 2020): PBT's
 * exploit step (a bottom-quantile trial continues from a top-quantile donor's
 * checkpoint), but the new config is not a random perturbation: a
 * time-varying GP learns, across the population, how much each config
 * improved the reward per unit of time, and a UCB bandit picks the next one
 * inside `hyperparamBounds` (pb2-select.ts). The population mechanics
 * (quantiles, asynchronous and synchronous rounds, fair time-sharing, policy
 * logs as Ray's PB2 writes them) are PbtScheduler's; PB2 adds the GP's data
 * rows (onScored) and its explore step (exploreConfig).
 */
import type { SchedulerContext, TrialConfig, TrialView } from "../interfaces.ts";
import { isPlainObject } from "../space/variants.ts";
import { SchedulerOptionError } from "./common.ts";
import { applyPoint, flattenBounds, GP_WINDOW, selectPoint, valueAt, valuesOf, type Bounds, type FlatBound, type GpCache, type Pb2Row } from "./pb2-select.ts";
import { PbtScheduler, type PbtState, type PopulationKind } from "./pbt.ts";

export const PB2_OPTIONS = [
  "timeAttr", "metric", "mode", "perturbationInterval", "hyperparamBounds", "quantileFraction", "customExploreFn", "logConfig", "requireAttrs", "synch",
];

const PB2_KIND: PopulationKind = { name: "pb2", options: PB2_OPTIONS, seedSalt: 0x9b2 };

/**
 * Rows kept: the GP fits on the last GP_WINDOW reward changes, and each change needs its row and
 * the one before it in the same run, so twice the window is plenty (Ray keeps 1000). It also keeps
 * the state the runner journals small.
 */
const MAX_ROWS = 2 * GP_WINDOW;

/** What PB2 saves on top of PBT's state. */
interface BanditState {
  rows: Pb2Row[];
  /** Unit points chosen since the population last reached a new time (Ray's `current`). */
  pending: number[][];
  lastExplorationTime: number;
}

type Pb2State = PbtState & BanditState;

export class Pb2Scheduler extends PbtScheduler {
  private readonly bounds: FlatBound[];
  private b!: BanditState;
  /** Derived from the rows, so not part of the saved state. */
  private readonly gpCache: GpCache = {};

  constructor(options: Readonly<Record<string, unknown>> = {}) {
    super(options, PB2_KIND);
    const bounds = options.hyperparamBounds;
    if (!isPlainObject(bounds) || Object.keys(bounds).length === 0) {
      throw new SchedulerOptionError("scheduler pb2: give hyperparamBounds, the continuous ranges to search (e.g. { lr: [1e-4, 1e-1] })");
    }
    try {
      this.bounds = flattenBounds(bounds as Bounds);
    } catch (e) {
      throw new SchedulerOptionError(`scheduler pb2: ${(e as Error).message}`);
    }
  }

  override setup(ctx: SchedulerContext): void {
    super.setup(ctx);
    this.b = { rows: [], pending: [], lastExplorationTime: 0 };
  }

  /** Ray's _save_trial_state: one row per scored result, for the GP. */
  protected override onScored(trial: TrialView, time: number, reward: number): void {
    const values = valuesOf(trial.config, this.bounds);
    if (!values) return; // validation warns about keys missing from the space; such a trial teaches the GP nothing
    this.b.rows.push({ trial: trial.id, time, values, reward });
    if (this.b.rows.length > MAX_ROWS) this.b.rows.splice(0, this.b.rows.length - MAX_ROWS);
  }

  /** Ray's PB2._get_new_config: the bandit's pick applied to the donor's config, then customExploreFn. */
  protected override exploreConfig(trial: TrialView, donor: TrialView): { config: TrialConfig; operations: string[] } {
    const rows = this.b.rows;
    const maxTime = Math.max(...rows.map((r) => r.time));
    // A new round of the population: configs chosen in the last one no longer compete.
    if (maxTime > this.b.lastExplorationTime) this.b.pending = [];
    const latest = [...rows].reverse().find((r) => r.trial === donor.id);
    const point = latest ? selectPoint(rows, this.bounds, { id: donor.id, time: latest.time, reward: latest.reward }, this.b.pending, this.rng, this.gpCache) : undefined;
    let config = point ? applyPoint(donor.config, this.bounds, point) : structuredClone(donor.config) as TrialConfig;
    const operations = [point ? `GP-UCB chose ${this.bounds.map((b) => `${b.path.join(".")}=${formatValue(config, b.path)}`).join(", ")}` : "no reward changes yet: donor's config kept"];
    if (point) {
      if (maxTime > this.b.lastExplorationTime) this.b.lastExplorationTime = maxTime;
      this.b.pending.push(point);
      const values = valuesOf(config, this.bounds);
      // The copy starts from the donor's weights under the new config (Ray adds this row so the next change is measured from it).
      if (values && latest) this.b.rows.push({ trial: trial.id, time: latest.time, values, reward: latest.reward });
    }
    if (this.customExploreFn) {
      const custom = this.customExploreFn(structuredClone(config));
      if (!isPlainObject(custom)) throw new SchedulerOptionError("scheduler pb2: customExploreFn must return the new config object");
      config = custom;
      operations.push("customExploreFn");
    }
    return { config, operations };
  }

  override save(): Pb2State {
    return { ...super.save(), ...this.b };
  }

  override restore(state: unknown): void {
    const { rows, pending, lastExplorationTime, ...population } = state as Pb2State;
    super.restore(population);
    this.b = structuredClone({ rows, pending, lastExplorationTime });
  }
}

function formatValue(config: TrialConfig, path: readonly string[]): string {
  const v = valueAt(config, path);
  return typeof v === "number" ? String(Number(v.toPrecision(4))) : String(v);
}
