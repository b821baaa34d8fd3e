/**
 * Reads an experiment's `events.jsonl` incrementally: each `poll()` reads only
 * the bytes appended since the last one and applies the complete lines to one
 * state in place, so a live run costs O(new events), never a full replay.
 */
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { JOURNAL_FILE, parseJournal } from "../../engine/store/journal.ts";
import { applyEventInPlace, emptyState, type ExperimentState } from "../../engine/store/state.ts";
import type { JournalEvent } from "../../engine/store/events.ts";

export class JournalTail {
  readonly state: ExperimentState = emptyState();
  /** Bytes of the journal consumed (complete lines only). */
  private offset = 0;
  private pending = "";
  private reading: Promise<JournalEvent[]> | undefined;

  constructor(readonly expDir: string) {}

  get file(): string {
    return join(this.expDir, JOURNAL_FILE);
  }

  /** Applies what was appended since the last poll; resolves to the new events (empty when nothing changed). */
  poll(): Promise<JournalEvent[]> {
    // Overlapping polls would read the same bytes twice: share the one in flight.
    this.reading ??= this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async read(): Promise<JournalEvent[]> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch {
      return []; // not created yet, or removed: nothing to show
    }
    if (size <= this.offset) return [];
    const handle = await open(this.file, "r");
    let text: string;
    try {
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(buf, 0, buf.length, this.offset);
      text = this.pending + buf.toString("utf8", 0, bytesRead);
      this.offset += bytesRead;
    } finally {
      await handle.close();
    }
    // A line still being written stays pending until its newline arrives.
    const lastNl = text.lastIndexOf("\n");
    this.pending = text.slice(lastNl + 1);
    const { events } = parseJournal(text.slice(0, lastNl + 1), this.file);
    for (const event of events) applyEventInPlace(this.state, event);
    return events;
  }
}
