/** Builds the scheduler a config names. */
import type { SchedulerSpec } from "../config.ts";
import type { Scheduler } from "../interfaces.ts";
import { FifoScheduler } from "./fifo.ts";

export function createScheduler(spec: SchedulerSpec | undefined): Scheduler {
  const kind = spec?.kind ?? "fifo";
  switch (kind) {
    case "fifo":
      return new FifoScheduler();
    default:
      throw new Error(`scheduler: unknown kind "${kind}" (available: fifo)`);
  }
}
