/**
 * Ray's Repeater: each config of the wrapped searcher runs `repeat` times
 * (with `__trial_index__` 0..repeat-1 in the config unless setIndex is
 * false), and the wrapped searcher learns the mean of the repetitions' last
 * metric values under the first repetition's trial id. Repetitions that
 * failed or never reported the metric are left out of the mean; a group
 * with none left reaches the wrapped searcher as an errored trial.
 */
import type { Result, SearchContext, Searcher, Suggestion, TrialConfig } from "../interfaces.ts";
import { SearcherStateError } from "./basic-variant.ts";
import type { RepeaterOptions } from "./specs.ts";

/** The config key that carries the repetition index, as in Ray. */
export const TRIAL_INDEX = "__trial_index__";

interface Group {
  primary: string;
  config: TrialConfig;
  members: string[];
  /** Last metric value per member once it has finished (null: failed or no metric). */
  scores: Record<string, number | null>;
}

interface SavedRepeater {
  version: 1;
  kind: "repeater";
  inner: unknown;
  groups: Group[];
  last: Record<string, number>;
  suggested: number;
}

export class Repeater implements Searcher {
  private groups: Group[] = [];
  private byTrial = new Map<string, Group>();
  private last: Record<string, number> = {};
  private metric: string | undefined;
  private samples = Infinity;
  private suggested = 0;
  private readonly setIndex: boolean;

  constructor(private readonly inner: Searcher, private readonly options: RepeaterOptions) {
    if (!Number.isInteger(options.repeat) || options.repeat < 1) {
      throw new RangeError(`search: repeat needs "repeat" to be a whole number ≥ 1 (got ${String(options.repeat)})`);
    }
    this.setIndex = options.setIndex ?? true;
  }

  setup(ctx: SearchContext): void {
    this.metric = ctx.metric;
    this.samples = ctx.samples;
    this.inner.setup({ ...ctx, samples: Math.ceil(ctx.samples / this.options.repeat) });
  }

  suggest(trialId: string): Suggestion {
    if (this.suggested >= this.samples) return "done";
    let group = this.groups.at(-1);
    if (!group || group.members.length >= this.options.repeat) {
      const next = this.inner.suggest(trialId);
      if (next === "wait" || next === "done") return next;
      group = { primary: trialId, config: next, members: [], scores: {} };
      this.groups.push(group);
    }
    const index = group.members.length;
    group.members.push(trialId);
    this.byTrial.set(trialId, group);
    this.suggested += 1;
    const config = structuredClone(group.config);
    if (this.setIndex) config[TRIAL_INDEX] = index;
    return config;
  }

  onTrialResult(trialId: string, result: Result): void {
    const v = this.metric === undefined ? undefined : result[this.metric];
    if (this.byTrial.has(trialId) && typeof v === "number" && Number.isFinite(v)) this.last[trialId] = v;
  }

  onTrialComplete(trialId: string, result: Result | undefined, errored: boolean): void {
    const group = this.byTrial.get(trialId);
    if (!group || trialId in group.scores) return;
    if (result) this.onTrialResult(trialId, result);
    group.scores[trialId] = errored ? null : (this.last[trialId] ?? null);
    delete this.last[trialId];
    if (Object.keys(group.scores).length < this.options.repeat) return;
    const values = Object.values(group.scores).filter((v): v is number => v !== null);
    if (values.length === 0 || this.metric === undefined) this.inner.onTrialComplete(group.primary, undefined, values.length === 0);
    else this.inner.onTrialComplete(group.primary, { [this.metric]: values.reduce((a, b) => a + b, 0) / values.length }, false);
    for (const id of group.members) this.byTrial.delete(id);
    this.groups = this.groups.filter((g) => g !== group);
  }

  total(): number | undefined {
    return this.samples === Infinity ? undefined : this.samples;
  }

  save(): SavedRepeater {
    return { version: 1, kind: "repeater", inner: this.inner.save(), groups: this.groups, last: this.last, suggested: this.suggested };
  }

  restore(state: unknown): void {
    const s = state as Partial<SavedRepeater> | null;
    if (s === null || typeof s !== "object" || s.version !== 1 || s.kind !== "repeater" || !Array.isArray(s.groups) || typeof s.suggested !== "number") {
      throw new SearcherStateError(`repeater state is not one this version saved: ${JSON.stringify(state)?.slice(0, 200)}`);
    }
    this.inner.restore(s.inner);
    this.groups = structuredClone(s.groups);
    this.byTrial = new Map(this.groups.flatMap((g) => g.members.map((id) => [id, g] as const)));
    this.last = { ...(s.last ?? {}) };
    this.suggested = s.suggested;
  }
}
