/**
 * Replays one trial's PBT schedule (Ray's PopulationBasedTrainingReplay): the
 * single trial starts with the policy's initial config and switches config at
 * the logged steps.
 *
 * A config change without a donor is an EXPLOIT whose donorId is the trial
 * itself: the runner pauses it, keeps its own latest checkpoint, replaces the
 * config and resumes it. Before the first start, the initial config is set the
 * same way (an EXPLOIT of the PENDING trial, through takeActions). For an
 * exact replay the trainable must checkpoint at every step where the policy
 * changes config (every step is simplest).
 */
import type { Decision, Result, Scheduler, TrialConfig, TrialView } from "../interfaces.ts";
import { numberAt, SchedulerOptionError } from "./common.ts";

export interface ReplayPolicy {
  initialConfig: TrialConfig;
  /** (step, config): from the result at `step` on, train with `config`. */
  changes: { step: number; config: TrialConfig }[];
}

/** Parses a pbt_policy_<id>.txt (Ray's 6-field rows; 8-field rows with trial ids are accepted too). */
export function parsePolicy(text: string, source = "policy file"): ReplayPolicy {
  const rows = text.split("\n").filter((l) => l.trim() !== "").map((line, i) => {
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new SchedulerOptionError(`pbtReplay: line ${i + 1} of ${source} is not JSON: ${line.slice(0, 80)}`);
    }
    if (!Array.isArray(row) || (row.length !== 6 && row.length !== 8)) {
      throw new SchedulerOptionError(`pbtReplay: line ${i + 1} of ${source} is not a PBT policy row (a JSON list of 6 fields)`);
    }
    const r = row.length === 8 ? [row[0], row[1], row[4], row[5], row[6], row[7]] : row;
    return { oldTag: String(r[0]), newTag: String(r[1]), newStep: Number(r[3]), oldConf: r[4] as TrialConfig, newConf: r[5] as TrialConfig };
  });
  if (rows.length === 0) throw new SchedulerOptionError(`pbtReplay: ${source} has no policy rows`);
  // Walk back from the last row while each row's target is the previous donor: earlier rows of
  // other lineages were overwritten by a later exploit.
  const changes: ReplayPolicy["changes"] = [];
  let lastNewTag: string | undefined;
  let initialConfig: TrialConfig = {};
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i] as (typeof rows)[number];
    if (lastNewTag !== undefined && row.oldTag !== lastNewTag) break;
    lastNewTag = row.newTag;
    initialConfig = row.oldConf;
    changes.unshift({ step: row.newStep, config: row.newConf });
  }
  return { initialConfig, changes };
}

interface ReplayState {
  trialId: string | null;
  next: number;
  actions: { trialId: string; decision: Decision }[];
}

export class PbtReplayScheduler implements Scheduler {
  private s: ReplayState = { trialId: null, next: 0, actions: [] };

  constructor(private readonly policy: ReplayPolicy) {}

  setup(): void {}

  onTrialAdd(trial: TrialView): void {
    if (this.s.trialId === trial.id) return;
    if (this.s.trialId !== null) {
      throw new SchedulerOptionError(`pbtReplay replays one trial, but trial ${trial.id} was added after ${this.s.trialId}; set samples: 1`);
    }
    this.s.trialId = trial.id;
    if (JSON.stringify(trial.config) !== JSON.stringify(this.policy.initialConfig)) {
      this.s.actions.push({ trialId: trial.id, decision: { kind: "EXPLOIT", donorId: trial.id, config: this.policy.initialConfig, note: "pbt replay: initial config" } });
    }
  }

  onTrialResult(trial: TrialView, result: Result): Decision {
    const step = numberAt(result, "training_iteration");
    if (step === undefined || trial.id !== this.s.trialId) return "CONTINUE";
    let config: TrialConfig | undefined;
    // Every change due by this step applies now; the last one wins.
    while (this.s.next < this.policy.changes.length && step >= (this.policy.changes[this.s.next] as { step: number }).step) {
      config = (this.policy.changes[this.s.next] as { config: TrialConfig }).config;
      this.s.next += 1;
    }
    if (!config) return "CONTINUE";
    return { kind: "EXPLOIT", donorId: trial.id, config, note: `pbt replay: change ${this.s.next} of ${this.policy.changes.length} at step ${step}` };
  }

  onTrialComplete(): void {}
  onTrialError(): void {}
  onTrialRemove(): void {}

  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    return candidates.find((t) => t.status === "PENDING") ?? candidates.find((t) => t.status === "PAUSED") ?? null;
  }

  takeActions(): readonly { trialId: string; decision: Decision }[] {
    const out = this.s.actions;
    this.s.actions = [];
    return out;
  }

  save(): ReplayState {
    return this.s;
  }

  restore(state: unknown): void {
    this.s = structuredClone(state as ReplayState);
  }
}
