/**
 * The per-trial files laid out as Ray Tune does, so Ray users' tools read
 * them: params.json, result.json (one JSON result per line), progress.csv,
 * error.txt. They are derived data: the journal is the truth, and
 * `TrialResultWriter.open` rebuilds them from the journal's results on resume.
 * Writes are buffered and flushed per batch (one write per file per batch),
 * never one syscall per result.
 */
import { appendFileSync, closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Result, TrialConfig } from "../interfaces.ts";

export const PARAMS_FILE = "params.json";
export const RESULT_FILE = "result.json";
export const PROGRESS_FILE = "progress.csv";
export const ERROR_FILE = "error.txt";

/** Writes `<trialDir>/params.json` (creating the dir); rewritten on resume, so a torn one heals. */
export function writeParams(trialDir: string, config: TrialConfig): void {
  mkdirSync(trialDir, { recursive: true });
  writeFileSync(join(trialDir, PARAMS_FILE), JSON.stringify(config, null, 2) + "\n");
}

/**
 * Creates a new trial's dir with params.json and empty result.json and
 * progress.csv, as Ray does when the trial is created: tools watching the dir
 * see the trial at once, and file creation (the slow part on many disks)
 * happens once per trial, not on the results' hot path.
 */
export function createTrialDir(trialDir: string, config: TrialConfig): void {
  writeParams(trialDir, config);
  closeSync(openSync(join(trialDir, RESULT_FILE), "w"));
  closeSync(openSync(join(trialDir, PROGRESS_FILE), "w"));
}

/** Appends one failure's text to `<trialDir>/error.txt` (a retried trial keeps every failure, as Ray does). */
export function writeErrorFile(trialDir: string, text: string): void {
  mkdirSync(trialDir, { recursive: true });
  appendFileSync(join(trialDir, ERROR_FILE), text.endsWith("\n") ? text : text + "\n");
}

/** Flattens nested plain objects with `/` (`{config: {lr: 1}}` → `config/lr`), as Ray's progress.csv does. */
export function flattenResult(value: Record<string, unknown>, prefix = "", out: [string, unknown][] = []): [string, unknown][] {
  for (const key in value) {
    const v = value[key];
    if (typeof v === "object" && v !== null && !Array.isArray(v)) flattenResult(v as Record<string, unknown>, prefix + key + "/", out);
    else out.push([prefix + key, v]);
  }
  return out;
}

/** One CSV cell, quoted when it holds a comma, quote or line break (RFC 4180). */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "string" ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text;
}

/** Buffers one trial's result.json lines and progress.csv rows until `flush()`. */
export class TrialResultWriter {
  private readonly header: string[] = [];
  private readonly columns = new Map<string, number>();
  /** Header length progress.csv on disk was written with; -1 until the file is (re)written. */
  private writtenColumns = -1;
  private jsonLines: string[] = [];
  private rows: string[][] = [];
  private jsonFd: number | undefined;
  private csvFd: number | undefined;

  /**
   * Opens the files of `trialDir` and makes them agree with `previous`, the
   * trial's results in the journal: a crash may have left results there that
   * were never acknowledged, or lost some that were. Without `previous` the
   * existing result.json is taken as the truth (progress.csv is rebuilt from it).
   */
  constructor(readonly trialDir: string, previous?: readonly Result[]) {
    mkdirSync(trialDir, { recursive: true });
    const results = previous ?? readResults(trialDir);
    // A fresh trial's files are created by its first flush ("w" truncates leftovers): saves a create per file.
    if (results.length === 0) return;
    const rows = results.map((r) => this.row(r));
    writeFileSync(join(trialDir, RESULT_FILE), results.map((r) => JSON.stringify(r) + "\n").join(""));
    this.writeCsv(rows);
  }

  /** True when results are buffered. */
  get pending(): boolean {
    return this.jsonLines.length > 0;
  }

  /** The progress.csv header so far (flattened keys, first-seen order). */
  get columnsSoFar(): readonly string[] {
    return this.header;
  }

  /** Buffers one result; `json` may pass its JSON text when the caller already has it. */
  append(result: Result, json = JSON.stringify(result)): void {
    this.jsonLines.push(json + "\n");
    this.rows.push(this.row(result));
  }

  /** Writes the buffered results: one write per file, or a rewrite of progress.csv when its header grew. */
  flush(): void {
    if (this.jsonLines.length === 0) return;
    const lines = this.jsonLines.join("");
    this.jsonLines = [];
    const fresh = this.writtenColumns < 0;
    this.jsonFd ??= openAppend(join(this.trialDir, RESULT_FILE), fresh);
    writeAll(this.jsonFd, lines);
    const rows = this.rows;
    this.rows = [];
    if (fresh) {
      this.csvFd = openAppend(join(this.trialDir, PROGRESS_FILE), true);
      writeAll(this.csvFd, this.headerLine() + rows.map((r) => this.line(r)).join(""));
      this.writtenColumns = this.header.length;
      return;
    }
    if (this.header.length === this.writtenColumns) {
      this.csvFd ??= openAppend(join(this.trialDir, PROGRESS_FILE), false);
      writeAll(this.csvFd, rows.map((r) => this.line(r)).join(""));
      return;
    }
    // A new key appeared: the header is the first line, so the whole file is rewritten from result.json.
    this.writeCsv(readResults(this.trialDir).map((r) => this.row(r)));
  }

  /** Flushes and closes the files. */
  close(): void {
    this.flush();
    if (this.jsonFd !== undefined) closeSync(this.jsonFd);
    if (this.csvFd !== undefined) closeSync(this.csvFd);
    this.jsonFd = this.csvFd = undefined;
  }

  private row(result: Result): string[] {
    const cells: string[] = [];
    for (const [key, value] of flattenResult(result)) {
      let col = this.columns.get(key);
      if (col === undefined) {
        col = this.header.length;
        this.columns.set(key, col);
        this.header.push(key);
      }
      cells[col] = csvCell(value);
    }
    return cells;
  }

  // Rows made before the header grew are shorter: pad them with empty cells.
  private line(cells: string[]): string {
    let text = "";
    for (let i = 0; i < this.header.length; i++) text += (i === 0 ? "" : ",") + (cells[i] ?? "");
    return text + "\n";
  }

  private headerLine(): string {
    return this.header.length === 0 ? "" : this.header.map(csvCell).join(",") + "\n";
  }

  private writeCsv(rows: string[][]): void {
    if (this.csvFd !== undefined) closeSync(this.csvFd);
    this.csvFd = undefined;
    writeFileSync(join(this.trialDir, PROGRESS_FILE), this.headerLine() + rows.map((r) => this.line(r)).join(""));
    this.writtenColumns = this.header.length;
  }
}

/** Many trials' writers, flushed together once per batch (call `flushAll()` just before the journal's flush). */
export class TrialFileWriters {
  private readonly writers = new Map<string, TrialResultWriter>();
  private readonly dirty = new Set<TrialResultWriter>();

  /** Opens (or returns) the writer for trial `id`; see the `TrialResultWriter` constructor for `previous`. */
  open(id: string, trialDir: string, previous?: readonly Result[]): TrialResultWriter {
    let writer = this.writers.get(id);
    if (!writer) this.writers.set(id, (writer = new TrialResultWriter(trialDir, previous)));
    return writer;
  }

  /** Buffers a result for trial `id`, which must be open. */
  append(id: string, result: Result, json?: string): void {
    const writer = this.writers.get(id);
    if (!writer) throw new Error(`trial ${id}: results written before its files were opened (TrialFileWriters.open)`);
    writer.append(result, json);
    this.dirty.add(writer);
  }

  /** Writes every trial's buffered results. */
  flushAll(): void {
    for (const writer of this.dirty) writer.flush();
    this.dirty.clear();
  }

  /** Flushes and closes trial `id`'s files (its process ended: frees the descriptors). */
  close(id: string): void {
    const writer = this.writers.get(id);
    if (!writer) return;
    writer.close();
    this.dirty.delete(writer);
    this.writers.delete(id);
  }

  /** Flushes and closes every writer. */
  closeAll(): void {
    for (const id of [...this.writers.keys()]) this.close(id);
  }
}

/**
 * Opens for appending, emptying the file first when `empty` (leftovers of a
 * fresh trial). Not O_TRUNC: on ext4 a truncate-to-0 makes close() start
 * writeback (auto_da_alloc), which costs ~0.1 ms per file on the hot path.
 */
function openAppend(path: string, empty: boolean): number {
  const fd = openSync(path, "a");
  if (empty && fstatSync(fd).size > 0) ftruncateSync(fd, 0);
  return fd;
}

function writeAll(fd: number, text: string): void {
  const data = Buffer.from(text, "utf8");
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** The results in `<trialDir>/result.json`; a torn last line (a crash mid-write) is dropped. */
export function readResults(trialDir: string): Result[] {
  const file = join(trialDir, RESULT_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const lines = text.split("\n");
  const out: Result[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line) as Result);
    } catch (error) {
      if (i >= lines.length - 2) break;
      throw new Error(`${file}:${i + 1}: not valid JSON (${(error as Error).message})`, { cause: error });
    }
  }
  return out;
}
