/**
 * TensorBoard event files per trial dir (`events.out.tfevents.<seconds>.<host>`),
 * so `tensorboard --logdir <experiment dir>` charts every trial as a run.
 * Like the trial files, events are buffered and written once per journal
 * batch; a trial's file is opened at its first flush. A failing disk turns
 * off that trial's TensorBoard logging with one message, never the runner.
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { hostname as osHostname } from "node:os";
import { join } from "node:path";
import { systemClock, type Clock, type Result, type TrialConfig } from "../interfaces.ts";
import { hparamsEvents } from "./hparams.ts";
import { DEFAULT_TAG_PREFIX, fileVersionEvent, frameRecord, resultScalars, resultStep, scalarsRecord } from "./tfevents.ts";

export const EVENTS_FILE_PREFIX = "events.out.tfevents.";

export interface TensorBoardOptions {
  /** Tag prefix of result scalars. Default `ray/tune`, as Ray Tune names them. */
  tagPrefix?: string;
  /** Wall time of events and the file name's seconds. */
  clock?: Clock;
  /** In the file name, as TensorBoard's writers put it. Default: this machine's. */
  hostname?: string;
}

/** How a trial ended, for the HParams dashboard. */
export interface TrialEnding {
  config: TrialConfig;
  failed: boolean;
  /** Its metrics become the dashboard's columns when this writer saw no result (e.g. after a runner restart). */
  lastResult?: Result;
}

/** One trial's event file: results buffered as framed records until `flush()`. */
export class TensorBoardWriter {
  private pending: Uint8Array[] = [];
  private fd: number | undefined;
  private file: string | undefined;
  private lastTags: string[] = [];
  private readonly startS: number;
  private readonly clock: Clock;

  constructor(readonly trialDir: string, private readonly options: TensorBoardOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.startS = this.clock.now() / 1000;
  }

  /** The event file's path, once the first flush created it. */
  get path(): string | undefined {
    return this.file;
  }

  /** True when events are buffered. */
  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Buffers one result as a summary of its scalars at step `training_iteration` (or `timesteps_total`). */
  append(result: Result): void {
    const scalars = resultScalars(result, this.options.tagPrefix ?? DEFAULT_TAG_PREFIX);
    if (scalars.length === 0) return;
    this.lastTags = scalars.map((s) => s.tag);
    this.pending.push(scalarsRecord(this.clock.now() / 1000, resultStep(result), scalars));
  }

  /** Buffers the HParams summaries of a finished trial (skipped when it never reported a scalar, as Ray Tune does). */
  end(ending: TrialEnding): void {
    const tags = this.lastTags.length || !ending.lastResult
      ? this.lastTags
      : resultScalars(ending.lastResult, this.options.tagPrefix ?? DEFAULT_TAG_PREFIX).map((s) => s.tag);
    if (tags.length === 0) return;
    const events = hparamsEvents({ config: ending.config, metricTags: tags, failed: ending.failed, startTimeS: this.startS, endTimeS: this.clock.now() / 1000 });
    for (const e of events) this.pending.push(frameRecord(e));
  }

  /** Writes the buffered events in one write, creating the file (with its header event) the first time. */
  flush(): void {
    if (this.pending.length === 0) return;
    if (this.fd === undefined) this.openFile();
    const records = this.pending;
    this.pending = [];
    writeAll(this.fd!, Buffer.concat(records));
  }

  /** Flushes and releases the file descriptor; a later flush appends to the same file. */
  close(): void {
    try {
      this.flush();
    } finally {
      if (this.fd !== undefined) closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private openFile(): void {
    if (this.file !== undefined) {
      this.fd = openSync(this.file, "a");
      return;
    }
    mkdirSync(this.trialDir, { recursive: true });
    const seconds = String(Math.floor(this.clock.now() / 1000)).padStart(10, "0");
    const base = join(this.trialDir, `${EVENTS_FILE_PREFIX}${seconds}.${this.options.hostname ?? osHostname()}`);
    // "wx": never append to another writer's file (a retry in the same second, a restarted runner).
    for (let n = 0; ; n++) {
      const candidate = n === 0 ? base : `${base}.${n}`;
      try {
        this.fd = openSync(candidate, "wx");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST" && n < 100) continue;
        throw error;
      }
      this.file = candidate;
      break;
    }
    this.pending.unshift(frameRecord(fileVersionEvent(this.startS)));
  }
}

function writeAll(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/**
 * Every trial's event writer, with the shape of the trial-files writers
 * (`open`, `append`, `flushAll`, `close`, `closeAll`) so the runner calls both
 * from the same places. A trial keeps its writer (and file) across pauses and
 * retries; `close(id, ending)` writes its HParams summaries and forgets it.
 */
export class TensorBoardWriters {
  private readonly writers = new Map<string, TensorBoardWriter>();
  private readonly dirty = new Set<string>();
  private readonly broken = new Set<string>();

  constructor(
    private readonly options: TensorBoardOptions = {},
    /** Told once per trial when its events cannot be written. */
    private readonly onError: (message: string) => void = (m) => process.stderr.write(`tunelab: ${m}\n`),
  ) {}

  /** Opens (or returns) trial `id`'s writer; its file is created at the first flush. */
  open(id: string, trialDir: string): TensorBoardWriter | undefined {
    if (this.broken.has(id)) return undefined;
    let writer = this.writers.get(id);
    if (!writer) this.writers.set(id, (writer = new TensorBoardWriter(trialDir, this.options)));
    return writer;
  }

  /** Buffers a result for trial `id` (ignored when it is not open or its logging failed). */
  append(id: string, result: Result, _json?: string): void {
    const writer = this.writers.get(id);
    if (!writer) return;
    writer.append(result);
    this.dirty.add(id);
  }

  /** Writes every trial's buffered events. */
  flushAll(): void {
    for (const id of this.dirty) this.guard(id, (w) => w.flush());
    this.dirty.clear();
  }

  /**
   * Flushes trial `id` and releases its file descriptor (its process ended).
   * With `ending` the trial is finished: its HParams summaries are written and
   * its writer forgotten; `trialDir` lets a trial that was not open (ended
   * while paused, after a runner restart) still get them.
   */
  close(id: string, ending?: TrialEnding & { trialDir?: string }): void {
    if (ending && !this.writers.has(id) && ending.trialDir !== undefined) this.open(id, ending.trialDir);
    this.guard(id, (w) => {
      if (ending) w.end(ending);
      w.close();
    });
    this.dirty.delete(id);
    if (ending) this.writers.delete(id);
  }

  /** Flushes and closes every writer (the experiment ended); unfinished trials get no HParams summaries. */
  closeAll(): void {
    for (const id of [...this.writers.keys()]) this.guard(id, (w) => w.close());
    this.dirty.clear();
    this.writers.clear();
  }

  private guard(id: string, action: (w: TensorBoardWriter) => void): void {
    const writer = this.writers.get(id);
    if (!writer) return;
    try {
      action(writer);
    } catch (error) {
      this.writers.delete(id);
      this.broken.add(id);
      const where = writer.path ?? join(writer.trialDir, `${EVENTS_FILE_PREFIX}*`);
      this.onError(`trial ${id}: TensorBoard events could not be written to ${where} ` +
        `(${error instanceof Error ? error.message : String(error)}); its TensorBoard logging is off from here (its results are still journaled)`);
      try {
        writer.close();
      } catch {
        // The descriptor is already unusable; the error above said so.
      }
    }
  }
}
