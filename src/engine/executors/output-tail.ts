/** A bounded tail of a byte stream: the last lines of a trial's stderr for its error message. */

export const TAIL_MAX_BYTES = 8 * 1024;
export const TAIL_MAX_LINES = 50;

/** Keeps only the last `maxBytes` of what it is fed, so a chatty trial costs bounded memory. */
export class OutputTail {
  private buf: Buffer = Buffer.alloc(0);
  private truncated = false;

  constructor(
    private readonly maxBytes = TAIL_MAX_BYTES,
    private readonly maxLines = TAIL_MAX_LINES,
  ) {}

  /** Appends one chunk. */
  push(chunk: Buffer): void {
    const all = this.buf.length + chunk.length;
    if (all <= this.maxBytes) {
      this.buf = Buffer.concat([this.buf, chunk], all);
      return;
    }
    this.truncated = true;
    // Copy so the tail never pins a large chunk in memory.
    this.buf = Buffer.from(Buffer.concat([this.buf, chunk], all).subarray(all - this.maxBytes));
  }

  /** Adds a line of our own (e.g. why a process could not start). */
  note(line: string): void {
    this.push(Buffer.from(line.endsWith("\n") ? line : `${line}\n`, "utf8"));
  }

  /** The last lines, without a line cut in half at the start. */
  text(): string {
    let lines = this.buf.toString("utf8").split("\n");
    // A cut may have split the first line (or a UTF-8 character): drop that fragment.
    if (this.truncated && lines.length > 1) lines = lines.slice(1);
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-this.maxLines).join("\n");
  }
}
