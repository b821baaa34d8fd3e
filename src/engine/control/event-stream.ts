/**
 * Server-Sent Events fan-out of the runner's control events. Each event is
 * serialised once and written to every client. The runner calls `publish`
 * synchronously from its loop, so nothing here may wait or grow without
 * bound: a client whose unread bytes pass a limit is dropped (with a final
 * `dropped` event) instead of being buffered for.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ControlEvent } from "./types.ts";

export interface EventStreamOptions {
  /** A comment line this often keeps proxies and idle timers from closing the stream. Default 15 s. */
  heartbeatMs?: number;
  /** Unread bytes (ours and the socket's) past which a client is dropped. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Recent events kept for a client reconnecting with Last-Event-ID. Default 1000. */
  replay?: number;
  /** How long a dropped or ended client may take to read its last bytes before its socket is destroyed. Default 5 s. */
  lingerMs?: number;
}

interface Frame { id: number; text: string }

const frame = (id: number | undefined, type: string, data: unknown): string =>
  `${id === undefined ? "" : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  /** Ended streams whose sockets are still open (a client still reading its last bytes, or one about to be destroyed). */
  private readonly ending = new Set<ServerResponse>();
  private readonly recent: Frame[] = [];
  private seq = 0;
  private ended: Frame | undefined;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly maxBuffered: number;
  private readonly replay: number;
  private readonly lingerMs: number;
  /** Clients dropped for reading too slowly since the start (for tests and logs). */
  dropped = 0;

  constructor(options: EventStreamOptions = {}) {
    this.maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.replay = options.replay ?? 1000;
    this.lingerMs = options.lingerMs ?? 5000;
    this.heartbeat = setInterval(() => this.broadcast(": heartbeat\n\n"), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get endingCount(): number {
    return this.ending.size;
  }

  /** The id the next event will carry minus one: how many events were published. */
  get lastId(): number {
    return this.seq;
  }

  publish(event: ControlEvent): void {
    if (this.ended) return;
    const id = ++this.seq;
    const f: Frame = { id, text: frame(id, event.type, event) };
    this.recent.push(f);
    if (this.recent.length > this.replay) this.recent.shift();
    this.broadcast(f.text);
    if (event.type === "experiment_ended") {
      this.ended = f;
      for (const res of [...this.clients]) this.finish(res);
    }
  }

  /** Starts streaming to `res`; a `Last-Event-ID` header replays what the client missed, if still kept. */
  attach(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache, no-transform",
      Connection: "keep-alive",
    });
    res.socket?.setNoDelay(true);
    res.write("retry: 2000\n\n");
    const last = Number(req.headers["last-event-id"]);
    if (Number.isInteger(last) && last >= 0 && last < this.seq) {
      const oldest = this.recent[0]?.id ?? this.seq + 1;
      if (oldest > last + 1) res.write(frame(undefined, "gap", { from: last + 1, to: oldest - 1, message: "events were missed; re-read the trial list" }));
      for (const f of this.recent) if (f.id > last) res.write(f.text);
    } else if (this.ended) {
      res.write(this.ended.text);
    }
    if (this.ended) {
      this.finish(res);
      return;
    }
    this.clients.add(res);
    res.on("close", () => this.clients.delete(res));
  }

  /** Ends every stream; the server closes their sockets. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const res of [...this.clients]) this.finish(res);
  }

  private broadcast(text: string): void {
    for (const res of this.clients) {
      res.write(text);
      // writableLength counts our buffer and the socket's: what the client has not taken yet.
      if (res.writableLength > this.maxBuffered) this.drop(res);
    }
  }

  private drop(res: ServerResponse): void {
    this.dropped += 1;
    this.clients.delete(res);
    res.write(frame(undefined, "dropped", {
      reason: `this client read too slowly (over ${this.maxBuffered} bytes unread); reconnect with Last-Event-ID to catch up`,
      lastId: this.seq,
    }));
    this.finish(res);
  }

  private finish(res: ServerResponse): void {
    this.clients.delete(res);
    if (this.ending.has(res)) return;
    this.ending.add(res);
    res.end();
    // A client that never reads would hold its socket (and our buffer) forever.
    const timer = setTimeout(() => res.destroy(), this.lingerMs);
    timer.unref();
    res.once("close", () => {
      clearTimeout(timer);
      this.ending.delete(res);
    });
  }
}
