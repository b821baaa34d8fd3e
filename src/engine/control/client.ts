/**
 * A typed client of the control API, found through `<expDir>/control.json`.
 * Every failure is a ControlError whose message a person can act on: no
 * running experiment, a runner that died, or the server's own refusal.
 */
import { resolve } from "node:path";
import type { Diagnostic } from "../space/diagnostics.ts";
import { readControlFile, type ControlFile } from "./credentials.ts";
import type { ControlEvent, ExperimentSummary, TrialSummary } from "./types.ts";

export type ControlErrorKind = "no-control-file" | "not-running" | "refused";

export class ControlError extends Error {
  override readonly name = "ControlError";
  constructor(
    readonly kind: ControlErrorKind,
    message: string,
    /** HTTP status when the server answered. */
    readonly status?: number,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
  }
}

/** What arrives on the event stream: the runner's events, and the server's own notices. */
export type StreamEvent = { id?: number } & (
  | ControlEvent
  | { type: "dropped"; reason: string; lastId: number }
  | { type: "gap"; from: number; to: number; message: string }
);

export class ControlClient {
  constructor(
    readonly expDir: string,
    readonly file: ControlFile,
  ) {}

  /** The client of the runner controlling `expDir`; throws ControlError("no-control-file") when none is. */
  static fromExperimentDir(expDir: string): ControlClient {
    const dir = resolve(expDir);
    let file: ControlFile | undefined;
    try {
      file = readControlFile(dir);
    } catch (e) {
      throw new ControlError("no-control-file", (e as Error).message);
    }
    if (!file) throw new ControlError("no-control-file", `no running experiment in ${dir} (control.json missing)`);
    return new ControlClient(dir, file);
  }

  experiment(): Promise<ExperimentSummary> {
    return this.request<ExperimentSummary>("GET", "/api/experiment");
  }

  async trials(): Promise<TrialSummary[]> {
    return (await this.request<{ trials: TrialSummary[] }>("GET", "/api/trials")).trials;
  }

  trial(id: string): Promise<TrialSummary> {
    return this.request<TrialSummary>("GET", `/api/trials/${encodeURIComponent(id)}`);
  }

  /** Queues a trial with exactly this config; rejects with the diagnostics when it does not fit the space. */
  async addTrial(config: Record<string, unknown>): Promise<{ id: string }> {
    const { id } = await this.request<{ id: string }>("POST", "/api/trials", { config });
    return { id };
  }

  async stopTrial(id: string): Promise<void> {
    await this.request("POST", `/api/trials/${encodeURIComponent(id)}/stop`);
  }

  async pauseTrial(id: string): Promise<void> {
    await this.request("POST", `/api/trials/${encodeURIComponent(id)}/pause`);
  }

  async resumeTrial(id: string): Promise<void> {
    await this.request("POST", `/api/trials/${encodeURIComponent(id)}/resume`);
  }

  async stopExperiment(): Promise<void> {
    await this.request("POST", "/api/experiment/stop");
  }

  /**
   * Streams events to `onEvent` until the server ends the stream (after
   * `experiment_ended`, or `dropped` for a client too slow) or `signal` aborts.
   * `onOpen` runs once the server streams to this client: list trials after it
   * and no event falls between the list and the stream.
   */
  async events(onEvent: (event: StreamEvent) => void, signal?: AbortSignal, options: { lastEventId?: number; onOpen?: () => void } = {}): Promise<void> {
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    if (options.lastEventId !== undefined) headers["Last-Event-ID"] = String(options.lastEventId);
    const response = await this.fetch("GET", "/api/events", undefined, headers, signal);
    if (!response.ok) throw await this.failure(response);
    options.onOpen?.();
    if (!response.body) return;
    const parser = new SseParser(onEvent);
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) parser.push(decoder.decode(chunk, { stream: true }));
    } catch (e) {
      if (signal?.aborted) return;
      throw new ControlError("not-running", `the event stream of ${this.expDir} broke: ${(e as Error).message}`);
    }
  }

  private async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(method, path, body);
    if (!response.ok) throw await this.failure(response);
    return (await response.json()) as T;
  }

  private async fetch(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
    try {
      return await fetch(`${this.file.url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.file.token}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      const code = (e as { cause?: { code?: string } }).cause?.code ?? "";
      const why = code === "ECONNREFUSED" ? "connection refused" : `${(e as Error).message}${code ? ` (${code})` : ""}`;
      throw new ControlError("not-running", `the runner of ${this.expDir} is not running (${why} at ${this.file.url}, pid ${this.file.pid})`);
    }
  }

  private async failure(response: Response): Promise<ControlError> {
    let message = `${response.status} ${response.statusText}`;
    let diagnostics: Diagnostic[] = [];
    try {
      const body = (await response.json()) as { error?: string; diagnostics?: Diagnostic[] };
      if (body.error) message = body.error;
      diagnostics = body.diagnostics ?? [];
    } catch {
      // Not JSON: the status line is all there is to say.
    }
    return new ControlError("refused", message, response.status, diagnostics);
  }
}

/** Incremental parser of `text/event-stream` (fields event, data, id; comments and retry ignored). */
export class SseParser {
  private buffer = "";
  private type = "message";
  private data: string[] = [];
  private id: number | undefined;

  constructor(private readonly onEvent: (event: StreamEvent) => void) {}

  push(text: string): void {
    this.buffer += text;
    // Scan with a cursor and cut the buffer once per chunk: a replay of a thousand events arrives as one chunk.
    const lines = /\r\n|\r|\n/g;
    let start = 0;
    let match: RegExpExecArray | null;
    while ((match = lines.exec(this.buffer)) !== null) {
      // A lone \r at the very end may be the first half of \r\n: wait for the next chunk.
      if (match[0] === "\r" && match.index === this.buffer.length - 1) break;
      this.line(this.buffer.slice(start, match.index));
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) {
        const parsed = JSON.parse(this.data.join("\n")) as StreamEvent;
        this.onEvent({ ...parsed, type: this.type, ...(this.id === undefined ? {} : { id: this.id }) } as StreamEvent);
      }
      [this.type, this.data, this.id] = ["message", [], undefined];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") this.id = Number(value);
  }
}
