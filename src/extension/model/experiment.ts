/**
 * One experiment as the extension sees it: a Tunelab dir tailed through its
 * journal, or a Ray Tune dir read once. Holds only what the directory says
 * (ARCHITECTURE.md: the extension re-reads and tails, it keeps no state).
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { ExperimentState, TrialState } from "../../engine/store/state.ts";
import { trialDirName } from "../../engine/store/experiment-dir.ts";
import { JournalTail } from "./journal-tail.ts";
import { rayDirs, readRayTuneDir } from "./raytune.ts";

export type ExperimentPhase = "running" | "finished" | "interrupted";
export type TrialOrder = "best" | "started";

export class Experiment {
  private tail: JournalTail | undefined;
  private rayState: ExperimentState | undefined;
  private sorted: { order: TrialOrder; trials: TrialState[] } | undefined;
  /** Bumped on every change, so views can tell stale caches. */
  version = 0;

  constructor(
    readonly dir: string,
    readonly kind: "tunelab" | "ray",
  ) {
    if (kind === "tunelab") this.tail = new JournalTail(dir);
  }

  get state(): ExperimentState {
    if (this.tail) return this.tail.state;
    this.rayState ??= readRayTuneDir(this.dir);
    return this.rayState;
  }

  get name(): string {
    return this.state.name || basename(this.dir);
  }

  /** Reads what is new; true when anything changed. */
  async refresh(): Promise<boolean> {
    if (!this.tail) return false;
    const events = await this.tail.poll();
    if (events.length === 0) return false;
    this.sorted = undefined;
    this.version++;
    return true;
  }

  /** running: the runner is alive; interrupted: the journal is unfinished and no runner is. */
  phase(isAlive: (pid: number) => boolean = pidAlive): ExperimentPhase {
    if (this.state.finished) return "finished";
    const pid = this.runnerPid();
    return pid !== undefined && isAlive(pid) ? "running" : "interrupted";
  }

  runnerPid(): number | undefined {
    if (this.kind !== "tunelab") return undefined;
    try {
      const meta = JSON.parse(readFileSync(join(this.dir, "experiment.json"), "utf8")) as { runnerPid?: unknown };
      return typeof meta.runnerPid === "number" ? meta.runnerPid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Trials best first (by the experiment's metric; trials without one last, by start) or by start time. Cached until the next change. */
  trials(order: TrialOrder): TrialState[] {
    if (this.sorted?.order === order) return this.sorted.trials;
    const { mode } = this.state;
    const byStart = (a: TrialState, b: TrialState): number => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity) || a.index - b.index;
    const trials = this.state.trials.slice();
    if (order === "best" && mode) {
      const sign = mode === "max" ? -1 : 1;
      trials.sort((a, b) => {
        if (a.best === undefined || b.best === undefined) return a.best === undefined ? (b.best === undefined ? byStart(a, b) : 1) : -1;
        return sign * (a.best - b.best) || byStart(a, b);
      });
    } else trials.sort(byStart);
    this.sorted = { order, trials };
    return trials;
  }

  /** The best trial by the experiment's metric, if any reported it. */
  bestTrial(): TrialState | undefined {
    const first = this.trials("best")[0];
    return first?.best === undefined ? undefined : first;
  }

  /** Absolute dir of a trial (Ray names its own; Tunelab uses trial_<id>). */
  trialDir(id: string): string {
    const ray = this.rayState ? rayDirs.get(this.rayState)?.get(id) : undefined;
    return join(this.dir, ray ?? trialDirName(id));
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
