/**
 * The append-only journal `events.jsonl`. Appends are buffered in memory and
 * written in ONE write per batch followed by one fdatasync, so the cost of
 * durability is paid per batch, not per event (group commit). An event is
 * acknowledged once the batch holding it is synced: `flush()` resolves then.
 */
import { closeSync, fdatasync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { JournalEvent } from "./events.ts";

export const JOURNAL_FILE = "events.jsonl";

/** A journal line that cannot be read; `line` is 1-based. */
export class JournalError extends Error {
  constructor(readonly file: string, readonly line: number, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = "JournalError";
  }
}

export interface JournalOptions {
  /** Flush this long after the first unflushed append. Default 50 ms. */
  flushIntervalMs?: number;
  /** Flush early once this many bytes are buffered. Default 4 MiB. */
  maxBufferBytes?: number;
  /** Runs just before each batch is written (e.g. flush the per-trial files with it). */
  beforeFlush?: () => void;
  /** Errors of timer-driven flushes; later calls rethrow them too. */
  onError?: (error: Error) => void;
}

export class Journal {
  private buffer: string[] = [];
  private bufferBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  private written = 0;
  private synced = 0;
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly options: JournalOptions,
    /** Bytes of a torn tail that `open` cut off (a crash mid-write). */
    readonly repairedBytes: number,
  ) {}

  /** Opens `<dir>/events.jsonl` for appending (creating dir and file), cutting off a torn tail first. */
  static open(dir: string, options: JournalOptions = {}): Journal {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, JOURNAL_FILE);
    const fd = openSync(path, "a+");
    try {
      return new Journal(path, fd, options, repairTail(fd));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Events appended so far (this process). */
  get appended(): number {
    return this.written + this.buffer.length;
  }

  /** Events acknowledged so far (written and synced by this process). */
  get acknowledged(): number {
    return this.synced;
  }

  /** Buffers `event`; cheap. It is acknowledged after the next `flush()` resolves. */
  append(event: JournalEvent): void {
    this.push(JSON.stringify(event) + "\n");
  }

  /**
   * Buffers a `result` event whose result is already JSON text, so the hot
   * path stringifies each result once for both the journal and result.json.
   */
  appendResult(ts: number, id: string, resultJson: string): void {
    this.push(`{"t":"result","ts":${ts},"id":${JSON.stringify(id)},"r":${resultJson}}\n`);
  }

  private push(line: string): void {
    this.check();
    this.buffer.push(line);
    this.bufferBytes += line.length;
    if (this.bufferBytes >= (this.options.maxBufferBytes ?? 4 << 20)) this.flushFromTimer();
    else this.timer ??= setTimeout(() => this.flushFromTimer(), this.options.flushIntervalMs ?? 50).unref();
  }

  /** Writes the buffered events in one write and resolves once they are synced to disk. */
  async flush(): Promise<void> {
    this.writeBuffered();
    const target = this.written;
    // Group commit: one fdatasync covers every batch written before it started.
    while (this.synced < target) {
      this.check();
      if (!this.syncing) this.syncing = this.syncNow();
      await this.syncing;
    }
  }

  /** Writes and syncs the buffered events before returning. */
  flushSync(): void {
    this.writeBuffered();
    if (this.synced === this.written) return;
    const upTo = this.written;
    try {
      fdatasyncSync(this.fd);
    } catch (error) {
      throw this.fail(error);
    }
    this.synced = Math.max(this.synced, upTo);
  }

  /** Writes and syncs what is buffered, then closes the file. Appending afterwards throws. */
  close(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    closeSync(this.fd);
  }

  /** Closes the file of a failed journal without writing what is buffered (it could not be kept). */
  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    closeSync(this.fd);
  }

  private writeBuffered(): void {
    this.check();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.options.beforeFlush?.();
    if (this.buffer.length === 0) return;
    const data = Buffer.from(this.buffer.join(""), "utf8");
    const count = this.buffer.length;
    this.buffer = [];
    this.bufferBytes = 0;
    try {
      // A journal whose file was deleted (the experiment dir removed under a running run) would
      // take every later write without error and keep none of it.
      if (fstatSync(this.fd).nlink === 0) throw new Error("the file was deleted while the experiment ran");
      // Written synchronously so batches reach the file in append order even while a sync is in flight.
      let off = 0;
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    } catch (error) {
      throw this.fail(error);
    }
    this.written += count;
  }

  private syncNow(): Promise<void> {
    const upTo = this.written;
    return new Promise<void>((resolve, reject) => {
      fdatasync(this.fd, (error) => {
        this.syncing = undefined;
        // close() synced everything before closing the fd under this call: its EBADF is no loss.
        if (error && !this.closed) return reject(this.fail(error));
        this.synced = Math.max(this.synced, upTo);
        resolve();
      });
    });
  }

  private flushFromTimer(): void {
    this.flush().catch((error: unknown) => this.options.onError?.(error as Error));
  }

  // A failed write or fsync may have lost data silently (the kernel drops dirty pages): stop for good.
  private fail(error: unknown): Error {
    this.failure ??= new Error(`${this.path}: journal write failed, events after #${this.synced} may be lost: ${(error as Error).message}`, { cause: error });
    return this.failure;
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new Error(`${this.path}: journal is closed`);
  }
}

/**
 * Cuts what a crash left half-written at the end of the file: an unterminated
 * line, and a last line that does not parse (filesystems may leave NULs).
 * Without this the next append would glue onto it and corrupt the middle.
 */
function repairTail(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const chunk = Math.min(size, 1 << 20);
  const buf = Buffer.alloc(chunk);
  readSync(fd, buf, 0, chunk, size - chunk);
  const lastNl = buf.lastIndexOf(10);
  let keep = lastNl + 1; // within buf
  if (keep > 0) {
    const prevNl = lastNl === 0 ? -1 : buf.lastIndexOf(10, lastNl - 1);
    if (prevNl >= 0 || chunk === size) {
      const line = buf.toString("utf8", prevNl + 1, lastNl);
      if (line.trim() !== "" && !parsesAsEvent(line)) keep = prevNl + 1;
    }
  } else if (chunk < size) {
    return 0; // a >1 MiB unterminated line is not a torn append: leave it for readJournal to report
  }
  const cut = chunk - keep;
  if (cut > 0) ftruncateSync(fd, size - cut);
  return cut;
}

function parsesAsEvent(line: string): boolean {
  try {
    return isEvent(JSON.parse(line));
  } catch {
    return false;
  }
}

function isEvent(value: unknown): value is JournalEvent {
  return typeof value === "object" && value !== null && typeof (value as { t?: unknown }).t === "string";
}

export interface ParsedJournal {
  events: JournalEvent[];
  /** True when the last line was torn (unterminated or unparseable) and ignored. */
  torn: boolean;
}

/**
 * Parses journal text. A torn LAST line is ignored (never acknowledged: acks
 * follow a whole synced batch); a bad line elsewhere throws a JournalError
 * naming `file` and the line.
 */
export function parseJournal(text: string, file = JOURNAL_FILE): ParsedJournal {
  // Whatever follows the last newline was cut short by a crash: never acknowledged.
  const lastNl = text.lastIndexOf("\n");
  let torn = lastNl < text.length - 1;
  const body = text.slice(0, lastNl + 1);
  if (body.trim() === "") return { events: [], torn };
  // Fast path: one JSON.parse of the whole file as an array is several times faster than one
  // per line. Any blank, bad or multi-value line breaks the parse or the count: slow path.
  try {
    let lines = 0;
    for (let i = body.indexOf("\n"); i >= 0; i = body.indexOf("\n", i + 1)) lines++;
    const events = JSON.parse("[" + body.slice(0, -1).replaceAll("\n", ",") + "]") as unknown[];
    if (events.length === lines && events.every(isEvent)) return { events, torn };
  } catch {
    // fall through to find the culprit line
  }
  const lines = body.split("\n");
  lines.pop();
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === "") lines.pop();
  const events: JournalEvent[] = [];
  const lastIndex = lines.length - 1;
  for (let i = 0; i <= lastIndex; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    let value: unknown;
    let problem: string | undefined;
    try {
      value = JSON.parse(line);
      if (!isEvent(value)) problem = 'not a journal event (an object with a string "t")';
    } catch (error) {
      problem = `not valid JSON (${(error as Error).message})`;
    }
    if (problem === undefined) events.push(value as JournalEvent);
    else if (i === lastIndex) torn = true;
    else throw new JournalError(file, i + 1, problem);
  }
  return { events, torn };
}

/** Reads and parses `<dir>/events.jsonl`; a missing file is an empty journal. */
export async function readJournal(dir: string): Promise<ParsedJournal> {
  const file = join(dir, JOURNAL_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { events: [], torn: false };
    throw error;
  }
  return parseJournal(text, file);
}

/** `readJournal`, synchronously (for CLI paths that are sync anyway). */
export function readJournalSync(dir: string): ParsedJournal {
  const file = join(dir, JOURNAL_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { events: [], torn: false };
    throw error;
  }
  return parseJournal(text, file);
}
