/**
 * The report protocol's reading side (docs/protocol.md), pure: bytes in,
 * messages or protocol errors out. Two channels feed it: the report pipe
 * (every line is a message) and stdout (only lines starting with the trial's
 * random tag are messages; the rest is the trial's own output).
 *
 * Lines are split on the byte 0x0A before decoding, so a chunk boundary inside
 * a multi-byte UTF-8 character can never corrupt a line: 0x0A never occurs
 * inside a UTF-8 sequence.
 */
import { isAbsolute } from "node:path";
import type { ReportMessage } from "../executors/executor.ts";

/** The longest report line (without its newline) the protocol accepts. */
export const MAX_REPORT_LINE_BYTES = 1024 * 1024;

export type ReportOutcome = { kind: "report"; message: ReportMessage } | { kind: "error"; message: string };

const NEWLINE = 0x0a;
const QUOTE_CHARS = 80;

/** Collects one line's bytes, up to a limit; past it, only counts them so memory stays bounded. */
class LineAssembler {
  private parts: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  get length(): number {
    return this.total;
  }

  append(bytes: Buffer): void {
    this.total += bytes.length;
    if (this.kept > this.maxBytes) return;
    // Copy: the caller's chunk may be a slice of a large buffer we must not retain.
    this.parts.push(Buffer.from(bytes));
    this.kept += bytes.length;
    if (this.kept > this.maxBytes) this.parts = [];
  }

  /** The finished line, or its byte count when it went over the limit. */
  finish(): { line: string } | { tooLong: number } {
    const total = this.total;
    const over = this.kept > this.maxBytes;
    const bytes = over ? undefined : Buffer.concat(this.parts, this.kept);
    this.parts = [];
    this.kept = 0;
    this.total = 0;
    if (!bytes) return { tooLong: total };
    let line = bytes.toString("utf8");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    return { line };
  }
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > QUOTE_CHARS ? `${flat.slice(0, QUOTE_CHARS)}…` : flat;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value} (${quote(JSON.stringify(value))})`;
}

// A bare NaN/Infinity token after `:`, `[` or `,` (Python's json.dumps writes these by default).
const NON_FINITE = /(^|[:[,]\s*)-?(NaN|Infinity)\s*(?=[,}\]]|$)/;
const NON_FINITE_METRIC = /"((?:[^"\\]|\\.)*)"\s*:\s*(-?(?:NaN|Infinity))\s*(?=[,}\]])/;

function nonFiniteError(line: string): string | undefined {
  if (!NON_FINITE.test(line)) return undefined;
  const named = NON_FINITE_METRIC.exec(line);
  const which = named ? `metric "${named[1]}" is ${named[2]}` : "a value is NaN or Infinity";
  return (
    `report line rejected: ${which}, and NaN/Infinity are not valid JSON — ` +
    `report null or a finite number instead (Python: json.dumps(..., allow_nan=False) finds them): ${quote(line)}`
  );
}

/** Parses one report line (without its newline) into a message or a protocol error. */
export function parseReportLine(line: string): ReportOutcome {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    const nonFinite = nonFiniteError(line);
    if (nonFinite) return { kind: "error", message: nonFinite };
    const why = err instanceof Error ? err.message : String(err);
    return { kind: "error", message: `report line is not valid JSON (${why}): ${quote(line)}` };
  }
  const shape = 'a report line must be a JSON object like {"result": {"loss": 0.1}, "checkpoint": "/abs/dir"}';
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { kind: "error", message: `${shape}; got ${describe(value)}` };
  }
  const { result, checkpoint } = value as { result?: unknown; checkpoint?: unknown };
  if (result === undefined) return { kind: "error", message: `${shape}; "result" is missing: ${quote(line)}` };
  if (typeof result !== "object" || result === null || Array.isArray(result)) {
    return { kind: "error", message: `"result" must be an object of metrics; got ${describe(result)}` };
  }
  if (checkpoint === undefined || checkpoint === null) {
    return { kind: "report", message: { result: result as Record<string, unknown> } };
  }
  if (typeof checkpoint !== "string" || checkpoint === "") {
    return { kind: "error", message: `"checkpoint" must be a directory path string; got ${describe(checkpoint)}` };
  }
  if (!isAbsolute(checkpoint)) {
    return { kind: "error", message: `"checkpoint" must be an absolute directory path; got "${quote(checkpoint)}"` };
  }
  return { kind: "report", message: { result: result as Record<string, unknown>, checkpoint } };
}

function tooLongError(bytes: number, maxBytes: number): ReportOutcome {
  const limit = maxBytes === MAX_REPORT_LINE_BYTES ? "1 MiB" : `${maxBytes} bytes`;
  return {
    kind: "error",
    message:
      `report line longer than ${limit} (${bytes} bytes) — it was dropped; report scalar metrics ` +
      `and save large data (arrays, images) to a file or a checkpoint directory instead`,
  };
}

function finishLine(assembler: LineAssembler, maxBytes: number, out: ReportOutcome[]): void {
  const done = assembler.finish();
  if ("tooLong" in done) out.push(tooLongError(done.tooLong, maxBytes));
  else if (done.line.trim() !== "") out.push(parseReportLine(done.line));
}

function partialLineError(assembler: LineAssembler, maxBytes: number): ReportOutcome {
  const done = assembler.finish();
  if ("tooLong" in done) return tooLongError(done.tooLong, maxBytes);
  return {
    kind: "error",
    message: `report stream ended in the middle of a line (no newline; the trial may have crashed while writing): ${quote(done.line)}`,
  };
}

/** Incremental parser for a channel where every line is a report (the report fd). */
export class ReportParser {
  private readonly line: LineAssembler;

  constructor(private readonly maxBytes = MAX_REPORT_LINE_BYTES) {
    this.line = new LineAssembler(maxBytes);
  }

  /** Feeds one chunk; returns the messages and errors of the lines it completed. */
  push(chunk: Buffer): ReportOutcome[] {
    const out: ReportOutcome[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      this.line.append(chunk.subarray(start, nl));
      finishLine(this.line, this.maxBytes, out);
      start = nl + 1;
    }
    if (start < chunk.length) this.line.append(chunk.subarray(start));
    return out;
  }

  /** Ends the stream: a trailing line without newline is a protocol error. */
  end(): ReportOutcome[] {
    return this.line.length > 0 ? [partialLineError(this.line, this.maxBytes)] : [];
  }
}

export interface SplitOutput {
  /** Bytes that belong in stdout.log, in order (untagged lines, whole or in pieces). */
  passthrough: Buffer[];
  outcomes: ReportOutcome[];
}

/**
 * Splits stdout into the trial's own output and tagged report lines. Plain
 * output is passed on as soon as a line is known not to start with the tag,
 * so a huge untagged line is never held in memory.
 */
export class TaggedStdoutSplitter {
  private readonly tag: Buffer;
  private readonly report: LineAssembler;
  /** Bytes of the current line while it could still be the tag's prefix. */
  private head: Buffer = Buffer.alloc(0);
  private mode: "undecided" | "plain" | "tagged" = "undecided";

  constructor(
    tag: string,
    private readonly maxBytes = MAX_REPORT_LINE_BYTES,
  ) {
    if (tag === "") throw new Error("TaggedStdoutSplitter: the report tag must not be empty");
    this.tag = Buffer.from(tag, "utf8");
    this.report = new LineAssembler(maxBytes);
  }

  /** Feeds one stdout chunk. */
  push(chunk: Buffer): SplitOutput {
    const out: SplitOutput = { passthrough: [], outcomes: [] };
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl === -1 ? chunk.length : nl;
      this.feed(chunk.subarray(start, end), out);
      if (nl === -1) break;
      this.endLine(out);
      start = nl + 1;
    }
    return out;
  }

  /** Ends the stream: a partial plain line is output, a partial tagged line is an error. */
  end(): SplitOutput {
    const out: SplitOutput = { passthrough: [], outcomes: [] };
    if (this.mode === "tagged") out.outcomes.push(partialLineError(this.report, this.maxBytes));
    else if (this.head.length > 0) out.passthrough.push(this.head);
    this.head = Buffer.alloc(0);
    this.mode = "undecided";
    return out;
  }

  private feed(bytes: Buffer, out: SplitOutput): void {
    if (bytes.length === 0) return;
    if (this.mode === "plain") return void out.passthrough.push(Buffer.from(bytes));
    if (this.mode === "tagged") return this.report.append(bytes);
    const head = Buffer.concat([this.head, bytes]);
    const n = Math.min(head.length, this.tag.length);
    if (!head.subarray(0, n).equals(this.tag.subarray(0, n))) {
      this.mode = "plain";
      this.head = Buffer.alloc(0);
      out.passthrough.push(head);
    } else if (head.length >= this.tag.length) {
      this.mode = "tagged";
      this.head = Buffer.alloc(0);
      this.report.append(head.subarray(this.tag.length));
    } else {
      this.head = head;
    }
  }

  private endLine(out: SplitOutput): void {
    if (this.mode === "tagged") finishLine(this.report, this.maxBytes, out.outcomes);
    else {
      // An undecided line shorter than the tag is plain output too.
      if (this.head.length > 0) out.passthrough.push(this.head);
      out.passthrough.push(Buffer.from([NEWLINE]));
    }
    this.head = Buffer.alloc(0);
    this.mode = "undecided";
  }
}
