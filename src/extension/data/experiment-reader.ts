/**
 * Reads an experiment for the dashboard, incrementally: a Tunelab experiment
 * dir (events.jsonl tailed from a byte offset, experiment.json), or a Ray Tune
 * result dir (each trial's params.json and result.json tailed the same way,
 * turned into the journal events a Tunelab run would have written). Both feed
 * the same DashboardModel.
 */
import { closeSync, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { JournalEvent } from "../../engine/store/events.ts";
import { parseJournal, JOURNAL_FILE } from "../../engine/store/journal.ts";
import { EXPERIMENT_FILE } from "../../engine/store/experiment-dir.ts";
import { flattenConfig, flattenSpace, inferParams } from "../../shared/dashboard-space.ts";
import type { ExperimentMeta } from "./dashboard-model.ts";

export interface ExperimentSource {
  readonly kind: "tunelab" | "ray";
  /** The experiment's metadata now (re-read when it changed on disk). */
  meta(): ExperimentMeta;
  /** True when meta() may differ from the last call. */
  metaChanged(): boolean;
  /** Events appended since the last call (all of them on the first call). */
  poll(): JournalEvent[];
}

/** Opens `dir` as whichever kind of experiment it is; throws a message naming the dir when it is neither. */
export function openExperimentSource(dir: string): ExperimentSource {
  if (existsSync(join(dir, JOURNAL_FILE)) || existsSync(join(dir, EXPERIMENT_FILE))) return new TunelabSource(dir);
  if (isRayResultDir(dir)) return new RaySource(dir);
  throw new Error(`${dir}: not a Tunelab experiment dir (no ${JOURNAL_FILE}) nor a Ray Tune result dir (no trial dirs with params.json)`);
}

export function isRayResultDir(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).some((e) => e.isDirectory() && existsSync(join(dir, e.name, "params.json")));
  } catch {
    return false;
  }
}

/** Reads the bytes of `file` past `offset`, up to the last complete line; returns them and the new offset. */
export function readNewLines(file: string, offset: number): { text: string; offset: number } {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { text: "", offset };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size < offset) offset = 0; // truncated or replaced: read it again
    if (size === offset) return { text: "", offset };
    const buf = Buffer.alloc(size - offset);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    const lastNl = buf.lastIndexOf(10, got - 1);
    if (lastNl < 0) return { text: "", offset };
    // A torn last line stays unread until its newline arrives.
    return { text: buf.toString("utf8", 0, lastNl + 1), offset: offset + lastNl + 1 };
  } finally {
    closeSync(fd);
  }
}

function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

class TunelabSource implements ExperimentSource {
  readonly kind = "tunelab";
  private offset = 0;
  private metaMtime = -1;
  private seenMtime = -1;

  constructor(private readonly dir: string) {}

  meta(): ExperimentMeta {
    const file = join(this.dir, EXPERIMENT_FILE);
    this.seenMtime = this.metaMtime = mtimeOf(file);
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
      // No or half-written experiment.json: the journal still tells most of it.
    }
    const spec = (json.spec ?? {}) as Record<string, unknown>;
    const kindOf = (v: unknown, fallback: string): string =>
      typeof v === "object" && v !== null && typeof (v as { kind?: unknown }).kind === "string" ? (v as { kind: string }).kind : fallback;
    const meta: ExperimentMeta = {
      name: typeof json.name === "string" ? json.name : basename(this.dir),
      dir: this.dir,
      source: "tunelab",
      searcher: kindOf(spec.search, "basic_variant"),
      scheduler: kindOf(spec.scheduler, "fifo"),
      params: flattenSpace(spec.space),
    };
    if (typeof json.state === "string") meta.state = json.state === "running" ? "running" : json.state;
    if (typeof json.configPath === "string") meta.configPath = json.configPath;
    if (typeof json.endedAt === "number") meta.endedAt = json.endedAt;
    return meta;
  }

  metaChanged(): boolean {
    const m = mtimeOf(join(this.dir, EXPERIMENT_FILE));
    if (m === this.seenMtime) return false;
    this.seenMtime = m;
    return m !== this.metaMtime;
  }

  poll(): JournalEvent[] {
    const file = join(this.dir, JOURNAL_FILE);
    const { text, offset } = readNewLines(file, this.offset);
    this.offset = offset;
    return text === "" ? [] : parseJournal(text, file).events;
  }
}

interface RayTrial {
  id: string;
  dir: string;
  offset: number;
  ended: boolean;
}

/** A Ray Tune result dir: `<exp>/<trial dir>/{params.json,result.json,error.txt}`. */
class RaySource implements ExperimentSource {
  readonly kind = "ray";
  private readonly trials = new Map<string, RayTrial>();
  private started = false;
  private configs: Record<string, unknown>[] = [];
  private paramsKnown = 0;
  private metricGuess: string | undefined;

  constructor(private readonly dir: string) {}

  meta(): ExperimentMeta {
    this.paramsKnown = this.configs.length;
    const meta: ExperimentMeta = {
      name: basename(this.dir), dir: this.dir, source: "ray", searcher: "ray", scheduler: "ray",
      params: inferParams(this.configs),
    };
    if (this.metricGuess) {
      meta.metric = this.metricGuess;
      meta.mode = /loss|err|mse|mae|rmse|perplexity/i.test(this.metricGuess) ? "min" : "max";
    }
    return meta;
  }

  metaChanged(): boolean {
    return this.configs.length !== this.paramsKnown;
  }

  poll(): JournalEvent[] {
    const events: JournalEvent[] = [];
    const now = Date.now();
    if (!this.started) {
      this.started = true;
      events.push({ t: "experiment", ts: now, name: basename(this.dir), seed: 0, configPath: "" });
    }
    let entries: string[];
    try {
      entries = readdirSync(this.dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    } catch {
      return events;
    }
    for (const name of entries) {
      const trialDir = join(this.dir, name);
      let trial = this.trials.get(name);
      if (!trial) {
        let config: Record<string, unknown>;
        try {
          config = JSON.parse(readFileSync(join(trialDir, "params.json"), "utf8")) as Record<string, unknown>;
        } catch {
          continue; // not a trial dir, or params.json not written yet
        }
        trial = { id: rayTrialId(name), dir: trialDir, offset: 0, ended: false };
        this.trials.set(name, trial);
        this.configs.push(flattenConfig(config));
        events.push({ t: "trial", ts: now, id: trial.id, index: this.trials.size - 1, config, resources: { cpu: 1, gpu: 0 } });
        events.push({ t: "start", ts: now, id: trial.id, attempt: 1, iteration: 0 });
      }
      const { text, offset } = readNewLines(join(trialDir, "result.json"), trial.offset);
      trial.offset = offset;
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        let r: Record<string, unknown>;
        try {
          r = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        if (!this.metricGuess) this.metricGuess = Object.keys(r).find((k) => typeof r[k] === "number" && !/^(training_iteration|time_|timestamp|pid|iterations_)/.test(k));
        const ts = typeof r.timestamp === "number" ? r.timestamp * 1000 : now;
        events.push({ t: "result", ts, id: trial.id, r });
        if (r.done === true && !trial.ended) {
          trial.ended = true;
          events.push({ t: "end", ts, id: trial.id, status: "TERMINATED" });
        }
      }
      if (!trial.ended && existsSync(join(trialDir, "error.txt"))) {
        trial.ended = true;
        events.push({ t: "end", ts: now, id: trial.id, status: "ERROR", error: readFileSync(join(trialDir, "error.txt"), "utf8").slice(0, 2000) });
      }
    }
    return events;
  }
}

/** Ray names trial dirs `<trainable>_<id>_<n>_<params>_<date>`; the id part is what users see. */
function rayTrialId(dirName: string): string {
  const m = /^[^_]+_([0-9a-f]{5}_\d{5})_/.exec(dirName);
  return m ? m[1]! : dirName;
}
