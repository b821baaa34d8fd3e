/** FIFO: trials run in creation order and are never stopped early. */
import type { Decision, Scheduler, TrialView } from "../interfaces.ts";

export class FifoScheduler implements Scheduler {
  setup(): void {}
  onTrialAdd(): void {}
  onTrialResult(): Decision {
    return "CONTINUE";
  }
  onTrialComplete(): void {}
  onTrialError(): void {}
  onTrialRemove(): void {}
  chooseTrialToRun(candidates: readonly TrialView[]): TrialView | null {
    // PENDING before PAUSED, in creation order (candidates arrive in that order).
    return candidates.find((t) => t.status === "PENDING") ?? candidates.find((t) => t.status === "PAUSED") ?? null;
  }
  save(): unknown {
    return null;
  }
  restore(): void {}
}
