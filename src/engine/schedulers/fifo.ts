/** FIFO: trials run in creation order and are never stopped early. */
import type { Decision, Result, Scheduler, SchedulerContext, TrialView } from "../interfaces.ts";

export class FifoScheduler implements Scheduler {
  setup(_ctx: SchedulerContext): void {}
  onTrialAdd(_trial: TrialView): void {}
  onTrialResult(_trial: TrialView, _result: Result): Decision {
    return "CONTINUE";
  }
  onTrialComplete(_trial: TrialView, _result: Result | undefined): void {}
  onTrialError(_trial: TrialView): void {}
  onTrialRemove(_trial: TrialView): void {}
  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    // PENDING before PAUSED, in creation order (candidates arrive in that order).
    return candidates.find((t) => t.status === "PENDING") ?? candidates.find((t) => t.status === "PAUSED") ?? null;
  }
  save(): unknown {
    return null;
  }
  restore(_state: unknown): void {}
}
