/**
 * All experiments the window knows: the dirs under each storage root plus
 * Ray Tune dirs the user opened. Polls storage roots for new dirs and live
 * journals for new events, and reports changes in coalesced batches so a run
 * producing hundreds of results a second redraws the tree a few times a second.
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { JOURNAL_FILE } from "../../engine/store/journal.ts";
import { Experiment } from "./experiment.ts";
import { isRayTuneDir } from "./raytune.ts";

export interface ExperimentsOptions {
  /** Directories holding experiment dirs (the `.tunelab` next to each config, the storage setting). */
  roots: () => string[];
  /** How often live journals are read. */
  pollMs?: number;
  /** Changes within this window are reported together. */
  coalesceMs?: number;
}

/** What changed: experiments whose content changed, and whether the list itself did. */
export interface ExperimentsChange {
  changed: Set<Experiment>;
  listChanged: boolean;
}

export class Experiments {
  private readonly byDir = new Map<string, Experiment>();
  private readonly listeners = new Set<(change: ExperimentsChange) => void>();
  private pending: ExperimentsChange | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private disposed = false;

  constructor(private readonly options: ExperimentsOptions) {}

  /** Experiments oldest first. */
  list(): Experiment[] {
    return [...this.byDir.values()].sort((a, b) => (a.state.createdAt ?? 0) - (b.state.createdAt ?? 0) || a.dir.localeCompare(b.dir));
  }

  get(dir: string): Experiment | undefined {
    return this.byDir.get(resolve(dir));
  }

  onDidChange(listener: (change: ExperimentsChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Starts polling; the first scan runs at once. */
  start(): void {
    void this.poll();
    this.pollTimer = setInterval(() => void this.poll(), this.options.pollMs ?? 500);
  }

  /** Adds a dir (a Tunelab experiment dir or a Ray Tune result dir) explicitly, e.g. Open Ray Tune Results. */
  async add(dir: string): Promise<Experiment> {
    const abs = resolve(dir);
    let exp = this.byDir.get(abs);
    if (!exp) {
      const kind = isRayTuneDir(abs) ? "ray" : "tunelab";
      exp = new Experiment(abs, kind);
      this.byDir.set(abs, exp);
      await exp.refresh();
      this.note(exp, true);
    }
    return exp;
  }

  /** One scan of the roots and the live journals; overlapping calls share the one in flight. */
  poll(): Promise<void> {
    this.polling ??= this.scan().finally(() => (this.polling = undefined));
    return this.polling;
  }

  private async scan(): Promise<void> {
    for (const root of this.options.roots()) {
      let names: string[];
      try {
        names = readdirSync(root);
      } catch {
        continue; // no runs yet
      }
      for (const name of names) {
        const dir = resolve(join(root, name));
        if (this.byDir.has(dir)) continue;
        let inner: string[];
        try {
          inner = readdirSync(dir);
        } catch {
          continue; // a file, or unreadable
        }
        const kind = inner.includes(JOURNAL_FILE) ? "tunelab" : inner.some((n) => /^experiment_state-.*\.json$/.test(n)) ? "ray" : undefined;
        if (!kind) continue;
        const exp = new Experiment(dir, kind);
        this.byDir.set(dir, exp);
        this.note(exp, true);
      }
    }
    for (const exp of this.byDir.values()) {
      // Finished journals get no more events; reading them once is enough.
      if (exp.kind !== "tunelab" || (exp.state.finished && exp.version > 0)) continue;
      try {
        if (await exp.refresh()) this.note(exp, false);
      } catch {
        // A journal mid-rewrite or unreadable: the next poll tries again.
      }
    }
  }

  private note(exp: Experiment, listChanged: boolean): void {
    if (this.disposed) return;
    this.pending ??= { changed: new Set(), listChanged: false };
    this.pending.changed.add(exp);
    this.pending.listChanged ||= listChanged;
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.coalesceMs ?? 250);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const change = this.pending;
    this.pending = undefined;
    if (!change) return;
    for (const l of this.listeners) l(change);
  }

  dispose(): void {
    this.disposed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.listeners.clear();
  }
}
