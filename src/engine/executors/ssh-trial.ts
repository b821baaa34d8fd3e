/**
 * One trial on an ssh host, as the executor sees it: its handle, the byte
 * offset read so far in its report file, and the delivery of reports and of
 * its exit exactly once. The executor's poll loop feeds it.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ReportParser, type ReportOutcome } from "../trainables/report-parser.ts";
import type { RunningTrial, TrialEvents, TrialExit, TrialHandle } from "./executor.ts";
import type { PollEntry } from "./remote-scripts.ts";

/** What is journaled to find the trial again: host, pid + start time (pids are reused), its dir. */
export interface SshTrialHandle extends TrialHandle {
  kind: "ssh";
  host: string;
  pid: number;
  startTime: string;
  dir: string;
}

export function isSshHandle(h: TrialHandle): h is SshTrialHandle {
  return h.kind === "ssh" && typeof h.host === "string" && typeof h.pid === "number" && typeof h.startTime === "string" && typeof h.dir === "string";
}

export interface SshTrialHooks {
  stop(trial: SshTrial, graceMs: number): Promise<void>;
  /** Fetches logs and the stderr tail once the trial ended. */
  finish(trial: SshTrial): Promise<string>;
  /** Brings a reported checkpoint home; resolves with the local path. */
  fetchCheckpoint(trial: SshTrial, remotePath: string): Promise<string>;
}

export class SshTrial implements RunningTrial {
  handle: SshTrialHandle | undefined;
  readonly started: Promise<SshTrialHandle | undefined>;
  offset = 0;
  stopRequested = false;
  exited = false;
  private resolveStarted!: (h: SshTrialHandle | undefined) => void;
  private readonly parser = new ReportParser();
  /** Report lines still to skip (already delivered before a runner restart). */
  private skip: number;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  /** Deliveries run in order, even when a checkpoint must be fetched first. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly trialId: string,
    readonly trialDir: string,
    readonly host: string,
    private readonly events: TrialEvents,
    private readonly hooks: SshTrialHooks,
    reportsSeen = 0,
  ) {
    this.skip = reportsSeen;
    this.started = new Promise((r) => (this.resolveStarted = r));
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  get pid(): number | undefined {
    return this.handle?.pid;
  }

  /** The remote side answered: the trial runs. */
  markStarted(handle: SshTrialHandle): void {
    this.handle = handle;
    this.resolveStarted(handle);
  }

  stop(graceMs: number): Promise<void> {
    if (!this.exited && !this.stopRequested) {
      this.stopRequested = true;
      if (this.handle) void this.hooks.stop(this, graceMs);
    }
    return this.done;
  }

  /** Feeds one poll's frame; ends the trial when it is over and every byte was read. */
  onPoll(entry: PollEntry): void {
    if (this.exited) return;
    if (entry.bytes.length > 0) {
      this.offset += entry.bytes.length;
      this.deliver(this.parser.push(entry.bytes));
    }
    if (!entry.alive && !entry.truncated) {
      this.deliver(this.parser.end());
      const signal = entry.exitCode === undefined ? (this.stopRequested ? "SIGTERM" : "SIGKILL") : null;
      this.end({ code: entry.exitCode ?? null, signal }, true);
    }
  }

  /** Ends the trial without a final poll (could not start, host lost). */
  fail(message: string, retryable: boolean): void {
    if (this.exited) return;
    this.resolveStarted(undefined);
    this.exitNow({ code: null, signal: null, stderrTail: message, ...(retryable ? { retryable: true } : {}) });
  }

  private end(exit: Omit<TrialExit, "stderrTail">, fetch: boolean): void {
    this.exited = true;
    this.queue = this.queue.then(async () => {
      const tail = fetch ? await this.hooks.finish(this).catch((e: unknown) => `tunelab: could not fetch the trial's logs from ${this.host}: ${String(e)}`) : "";
      this.events.onExit({ ...exit, stderrTail: tail });
      this.resolveDone();
    });
  }

  private exitNow(exit: TrialExit): void {
    this.exited = true;
    this.queue = this.queue.then(() => {
      this.events.onExit(exit);
      this.resolveDone();
    });
  }

  private deliver(outcomes: readonly ReportOutcome[]): void {
    for (const o of outcomes) {
      if (this.skip > 0) {
        this.skip -= 1;
        continue;
      }
      this.queue = this.queue.then(async () => {
        if (o.kind === "error") return this.events.onProtocolError(o.message);
        const { checkpoint } = o.message;
        if (!checkpoint) return this.events.onReport(o.message);
        try {
          const local = await this.hooks.fetchCheckpoint(this, checkpoint);
          this.events.onReport({ ...o.message, checkpoint: local });
        } catch (e) {
          this.events.onProtocolError(`could not fetch checkpoint ${checkpoint} from ${this.host}: ${e instanceof Error ? e.message : String(e)}`);
        }
      });
    }
  }
}

/** Appends fetched remote log bytes to the local trial dir's log. */
export function appendLog(trialDir: string, name: string, bytes: Buffer): void {
  if (bytes.length === 0) return;
  mkdirSync(trialDir, { recursive: true });
  appendFileSync(join(trialDir, name), bytes);
}
