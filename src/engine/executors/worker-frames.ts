/**
 * The frames a Python worker (python/tunelab/worker.py) sends on its fd 3, pure: one type byte,
 * a 4-byte big-endian length, the payload. Output and report bytes of the running trial travel
 * framed on one pipe, so they arrive in order and the trial's exit is always the last frame.
 */

/** What the worker says about itself or its current trial (a frame of type "M"). */
export type WorkerEvent =
  | { ready: { pid: number; reimport: boolean } }
  | { started: number }
  | { note: string }
  | { exit: { code: number | null; signal: string | null } };

export type WorkerFrame =
  | { kind: "stdout" | "stderr" | "report"; bytes: Buffer }
  | { kind: "event"; event: WorkerEvent }
  | { kind: "invalid"; message: string };

const HEADER = 5;
const KINDS: Record<number, "stdout" | "stderr" | "report" | "event"> = { 0x4f: "stdout", 0x45: "stderr", 0x52: "report", 0x4d: "event" };
/** The worker reads at most 64 KiB at a time; anything far larger means the stream is out of step. */
const MAX_PAYLOAD = 16 * 1024 * 1024;

function parseEvent(payload: Buffer): WorkerFrame {
  try {
    const event = JSON.parse(payload.toString("utf8")) as unknown;
    if (typeof event === "object" && event !== null && !Array.isArray(event)) return { kind: "event", event: event as WorkerEvent };
  } catch {
    // Reported below.
  }
  return { kind: "invalid", message: `the Python worker sent an event that is not a JSON object: ${payload.toString("utf8").slice(0, 80)}` };
}

/** Incremental decoder; keeps partial frames between chunks. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private broken = false;

  /** Feeds one chunk; returns the frames it completed. After an invalid header, decodes nothing more. */
  push(chunk: Buffer): WorkerFrame[] {
    if (this.broken) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: WorkerFrame[] = [];
    let at = 0;
    while (this.buf.length - at >= HEADER) {
      const kind = KINDS[this.buf[at]!];
      const length = this.buf.readUInt32BE(at + 1);
      if (kind === undefined || length > MAX_PAYLOAD) {
        this.broken = true;
        out.push({ kind: "invalid", message: `the Python worker's channel is out of step (frame type byte ${this.buf[at]}); it is replaced` });
        this.buf = Buffer.alloc(0);
        return out;
      }
      if (this.buf.length - at < HEADER + length) break;
      // Copy: the payload outlives this chunk (logs, parsers) and must not pin it.
      const payload = Buffer.from(this.buf.subarray(at + HEADER, at + HEADER + length));
      out.push(kind === "event" ? parseEvent(payload) : { kind, bytes: payload });
      at += HEADER + length;
    }
    this.buf = at === 0 ? this.buf : Buffer.from(this.buf.subarray(at));
    return out;
  }

  /** Bytes of an unfinished frame (non-zero when the worker died mid-frame). */
  get pending(): number {
    return this.buf.length;
  }
}

/** Encodes one frame (for tests and tools that speak to the decoder). */
export function encodeFrame(kind: "stdout" | "stderr" | "report" | "event", payload: Buffer | string): Buffer {
  const type = { stdout: 0x4f, stderr: 0x45, report: 0x52, event: 0x4d }[kind];
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const header = Buffer.alloc(HEADER);
  header[0] = type;
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}
