/** Scheduler choices for tune.config.ts, as tagged data. */
import type { SchedulerSpec } from "../config.ts";

/** First in, first out: every trial runs to its stopping criteria (Ray's FIFOScheduler). */
export const fifo = (): SchedulerSpec => ({ kind: "fifo" });
