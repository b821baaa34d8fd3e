/**
 * Reads one Slurm job's report file across requeues, pure: bytes in, results
 * out, each delivered once. A requeued run appends to the same file after a
 * line in the `runs` file that says at which byte offset it started and at
 * which iteration it resumed (its restored checkpoint). Results of iterations
 * the runner already has are recomputations and are skipped, so nothing is
 * counted twice; a half-written line of a killed run is dropped, not an error.
 */
import type { ReportMessage } from "./executor.ts";
import type { RunStart } from "./slurm-parse.ts";
import { ReportParser, type ReportOutcome } from "../trainables/report-parser.ts";

export type TailOutcome = ReportOutcome | { kind: "skipped"; message: ReportMessage; iteration: number };

export class RequeueAwareReports {
  private parser = new ReportParser();
  /** Bytes of the report file consumed so far. */
  private pos = 0;
  private runsSeen = 0;
  private readonly boundaries: RunStart[] = [];
  /** The iteration of the last result read in the current run. */
  private current: number;
  /** The highest iteration delivered to the runner. */
  private delivered: number;

  /**
   * @param startIteration the iteration this attempt was submitted at (TUNELAB_ITERATION)
   * @param reportsSeen results of this attempt the runner already has (re-attach after a restart)
   */
  constructor(startIteration: number, reportsSeen = 0) {
    this.current = startIteration;
    this.delivered = startIteration + reportsSeen;
  }

  /** Bytes of the report file consumed so far: read on from here. */
  get offset(): number {
    return this.pos;
  }

  /** The number of runs (1 + requeues) seen so far. */
  get runs(): number {
    return this.runsSeen;
  }

  /** The iteration of the last result delivered. */
  get lastDelivered(): number {
    return this.delivered;
  }

  /** Takes the whole `runs` file as parsed; only new entries matter. Read it before the report bytes. */
  addRuns(runs: readonly RunStart[]): TailOutcome[] {
    for (const run of runs.slice(this.runsSeen)) this.boundaries.push(run);
    this.runsSeen = Math.max(this.runsSeen, runs.length);
    return this.applyDueBoundaries();
  }

  /** Feeds the report file's bytes that follow `offset`. */
  push(chunk: Buffer): TailOutcome[] {
    const out: TailOutcome[] = [];
    let at = 0;
    while (at < chunk.length) {
      out.push(...this.applyDueBoundaries());
      const next = this.boundaries[0];
      const room = next ? next.offset - this.pos : Infinity;
      const take = Math.min(chunk.length - at, room);
      out.push(...this.count(this.parser.push(chunk.subarray(at, at + take))));
      at += take;
      this.pos += take;
    }
    out.push(...this.applyDueBoundaries());
    return out;
  }

  /** The job is over: a last line without its newline is a protocol error, as for a local trial. */
  end(): TailOutcome[] {
    return this.count(this.parser.end());
  }

  private applyDueBoundaries(): TailOutcome[] {
    while (this.boundaries.length && this.boundaries[0]!.offset <= this.pos) {
      const run = this.boundaries.shift()!;
      // The previous run was killed (requeue, preemption): a partial last line is expected; drop it.
      this.parser.end();
      this.parser = new ReportParser();
      this.current = run.iteration;
    }
    return [];
  }

  private count(outcomes: readonly ReportOutcome[]): TailOutcome[] {
    return outcomes.map((o) => {
      if (o.kind !== "report") return o;
      this.current += 1;
      if (this.current <= this.delivered) return { kind: "skipped", message: o.message, iteration: this.current };
      this.delivered = this.current;
      return o;
    });
  }
}
