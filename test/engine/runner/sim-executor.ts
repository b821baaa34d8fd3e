/**
 * An in-process executor for runner tests: each "process" reports one result
 * per turn of the event loop, each with a real checkpoint dir holding its
 * iteration and config, until `iters` (from the config) or a stop.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Executor, RunningTrial, TrialEvents, TrialLaunch } from "../../../src/engine/executors/executor.ts";

export interface SimStart {
  trialId: string;
  iteration: number;
  restoredFrom: { iteration: number; config: unknown } | undefined;
  resources: TrialLaunch["resources"];
}

export class SimExecutor implements Executor {
  readonly starts: SimStart[] = [];
  private readonly staging = mkdtempSync(join(tmpdir(), "tunelab-sim-"));
  private n = 0;

  start(launch: TrialLaunch, events: TrialEvents): RunningTrial {
    const config = JSON.parse(readFileSync(launch.env.TUNELAB_CONFIG!, "utf8")) as { iters?: number; x?: number };
    const restore = launch.env.TUNELAB_RESTORE;
    const restored = restore ? (JSON.parse(readFileSync(join(restore, "state.json"), "utf8")) as { iteration: number; config: unknown }) : undefined;
    let iteration = restored?.iteration ?? 0;
    this.starts.push({ trialId: launch.trialId, iteration, restoredFrom: restored, resources: launch.resources });
    let stopped = false;
    let exited = false;
    const exit = (code: number | null, signal: string | null): void => {
      if (exited) return;
      exited = true;
      events.onExit({ code, signal, stderrTail: "" });
    };
    const step = (): void => {
      if (stopped) return exit(null, "SIGTERM");
      if (iteration >= (config.iters ?? 5)) return exit(0, null);
      iteration += 1;
      const dir = join(this.staging, String(this.n++));
      mkdirSync(dir);
      writeFileSync(join(dir, "state.json"), JSON.stringify({ iteration, config }));
      events.onReport({ result: { score: (config.x ?? 0) * iteration }, checkpoint: dir });
      setImmediate(step);
    };
    setImmediate(step);
    return {
      pid: undefined,
      stop: async () => {
        stopped = true;
      },
    };
  }

  async close(): Promise<void> {}
}
