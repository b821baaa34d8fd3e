/** TensorBoard event files, read back with an independent decoder (event-reader.ts). */
import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import type { Result } from "../../../src/engine/interfaces.ts";
import { TensorBoardWriter, TensorBoardWriters } from "../../../src/engine/loggers/tensorboard.ts";
import { parseFields, readEventFile, type DecodedEvent } from "./event-reader.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "tunelab-tb-"));
const eventFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.startsWith("events.out.tfevents.")).sort();

/** A clock the test sets by hand. */
function manualClock(ms = 1_700_000_000_000) {
  return { ms, now() { return this.ms; } };
}

const SKIPPED = new Set(["config", "pid", "timestamp", "time_total_s", "training_iteration"]);

/** What TensorBoard should show for a result, computed without the writer's code. */
function expectedScalars(result: Record<string, unknown>): [string, number][] {
  const out: [string, number][] = [];
  const walk = (obj: Record<string, unknown>, path: string): void => {
    for (const key of Object.keys(obj)) {
      if (path === "" && SKIPPED.has(key)) continue;
      const v = obj[key];
      if (v !== null && typeof v === "object" && !Array.isArray(v)) walk(v as Record<string, unknown>, `${path}${key}/`);
      else if (typeof v === "boolean") out.push([clean(`ray/tune/${path}${key}`), v ? 1 : 0]);
      else if (typeof v === "number" && !Number.isNaN(v)) out.push([clean(`ray/tune/${path}${key}`), Math.fround(v)]);
    }
  };
  walk(result, "");
  return out;
}

function clean(tag: string): string {
  let out = "";
  for (const ch of tag) out += /^[\p{L}\p{N}]$/u.test(ch) || "-/_.".includes(ch) ? ch : "_";
  while (out.startsWith("/")) out = out.slice(1);
  return out;
}

const scalarEvents = (events: DecodedEvent[]): DecodedEvent[] => events.filter((e) => e.values.some((v) => v.simpleValue !== undefined));
const asPairs = (e: DecodedEvent): [string, number][] => e.values.map((v) => [v.tag, v.simpleValue!]);

const metricKey = fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== "__proto__");
const metricValue = fc.oneof(
  fc.double(), fc.integer(), fc.boolean(), fc.string({ maxLength: 4 }), fc.constant(null),
  fc.dictionary(metricKey, fc.oneof(fc.double({ noNaN: true }), fc.boolean()), { maxKeys: 3 }),
);

describe("TensorBoardWriter", () => {
  it("round-trips any sequence of results: tags, steps, float32 values and wall times", () => {
    fc.assert(fc.property(
      fc.array(fc.record({ metrics: fc.dictionary(metricKey, metricValue, { maxKeys: 6 }), steps: fc.option(fc.integer({ min: -5, max: 1e9 })), dt: fc.nat(5000) }), { maxLength: 12 }),
      (specs) => {
        const dir = tmp();
        const clock = manualClock();
        const writer = new TensorBoardWriter(dir, { clock, hostname: "h" });
        const want: { step: number; wallTime: number; scalars: [string, number][] }[] = [];
        specs.forEach((s, i) => {
          clock.ms += s.dt;
          const result: Result = { ...s.metrics, training_iteration: i + 1, ...(s.steps !== null ? { timesteps_total: s.steps } : {}) };
          writer.append(result);
          const scalars = expectedScalars(result);
          if (scalars.length) want.push({ step: s.steps !== null && s.steps > 0 ? s.steps : i + 1, wallTime: clock.ms / 1000, scalars });
          if (i % 3 === 2) writer.flush();
        });
        writer.close();
        const files = eventFiles(dir);
        if (want.length === 0) return assert.deepEqual(files, []);
        assert.equal(files.length, 1);
        const events = readEventFile(join(dir, files[0]!));
        assert.deepEqual(events[0], { wallTime: 1_700_000_000, step: 0, fileVersion: "brain.Event:2", values: [] });
        assert.deepEqual(events.slice(1).map((e) => ({ step: e.step, wallTime: e.wallTime, scalars: asPairs(e) })), want);
      },
    ), { numRuns: 60 });
  });

  it("creates its file at the first flush, with one write per flush", () => {
    const dir = tmp();
    const writer = new TensorBoardWriter(dir, { hostname: "h" });
    writer.append({ training_iteration: 1, loss: 1 });
    writer.append({ training_iteration: 2, loss: 0.5 });
    assert.deepEqual(eventFiles(dir), []);
    writer.flush();
    const [file] = eventFiles(dir);
    assert.match(file!, /^events\.out\.tfevents\.\d{10}\.h$/);
    const size = statSync(join(dir, file!)).size;
    writer.append({ training_iteration: 3, loss: 0.25 });
    assert.equal(statSync(join(dir, file!)).size, size, "nothing is written before the flush");
    writer.close();
    assert.deepEqual(scalarEvents(readEventFile(join(dir, file!))).map((e) => e.step), [1, 2, 3]);
  });

  it("writes no file for a trial that reports no scalar", () => {
    const dir = tmp();
    const writer = new TensorBoardWriter(dir);
    writer.append({ training_iteration: 1, note: "text only", config: { lr: 1 } } as Result);
    writer.close();
    assert.deepEqual(eventFiles(dir), []);
  });

  it("appends to the same file after close (a paused trial), with a single header", () => {
    const dir = tmp();
    const writer = new TensorBoardWriter(dir);
    writer.append({ training_iteration: 1, loss: 1 });
    writer.close();
    writer.append({ training_iteration: 2, loss: 0.5 });
    writer.close();
    const files = eventFiles(dir);
    assert.equal(files.length, 1);
    const events = readEventFile(join(dir, files[0]!));
    assert.equal(events.filter((e) => e.fileVersion).length, 1);
    assert.deepEqual(scalarEvents(events).map((e) => e.step), [1, 2]);
  });

  it("never shares a file with another writer of the same second and host", () => {
    const dir = tmp();
    const clock = manualClock();
    for (const loss of [1, 2]) {
      const w = new TensorBoardWriter(dir, { clock, hostname: "h" });
      w.append({ training_iteration: 1, loss });
      w.close();
    }
    const files = eventFiles(dir);
    assert.deepEqual(files, ["events.out.tfevents.1700000000.h", "events.out.tfevents.1700000000.h.1"]);
    assert.deepEqual(files.map((f) => scalarEvents(readEventFile(join(dir, f))).map(asPairs)), [[[["ray/tune/loss", 1]]], [[["ray/tune/loss", 2]]]]);
  });

  it("uses the tag prefix it is given", () => {
    const dir = tmp();
    const w = new TensorBoardWriter(dir, { tagPrefix: "" });
    w.append({ training_iteration: 1, m: { a: 1 } });
    w.close();
    assert.deepEqual(scalarEvents(readEventFile(join(dir, eventFiles(dir)[0]!))).map(asPairs), [[["m/a", 1]]]);
  });
});

/** The three HParams summaries at the end of a file, decoded by field number. */
function hparamsOf(events: DecodedEvent[]) {
  const tail = events.slice(-3).map((e) => e.values[0]!);
  assert.deepEqual(tail.map((v) => [v.tag, v.plugin?.name]), [
    ["_hparams_/experiment", "hparams"], ["_hparams_/session_start_info", "hparams"], ["_hparams_/session_end_info", "hparams"],
  ]);
  const body = (v: (typeof tail)[number], field: number) => {
    const fields = parseFields(v.plugin!.content);
    assert.deepEqual(fields.map((f) => f.field), [field], "only the oneof member; version 0 is left out");
    return parseFields(fields[0]!.bytes!);
  };
  const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b);
  const experiment = body(tail[0]!, 2);
  const start = body(tail[1]!, 3);
  const end = body(tail[2]!, 4);
  return {
    hparams: experiment.filter((f) => f.field === 4).map((f) => {
      const info = parseFields(f.bytes!);
      return [text(info.find((g) => g.field === 1)!.bytes), Number(info.find((g) => g.field === 4)!.int)];
    }),
    metrics: experiment.filter((f) => f.field === 5).map((f) => text(parseFields(parseFields(f.bytes!)[0]!.bytes!).find((g) => g.field === 2)!.bytes)),
    values: start.filter((f) => f.field === 1).map((f) => {
      const [key, value] = parseFields(f.bytes!);
      const v = parseFields(value!.bytes!)[0]!;
      const decoded = v.field === 2 ? new DataView(v.bytes!.buffer, v.bytes!.byteOffset).getFloat64(0, true) : v.field === 3 ? text(v.bytes) : v.int === 1n;
      return [text(key!.bytes), decoded];
    }),
    status: Number(end.find((f) => f.field === 1)!.int),
  };
}

describe("TensorBoardWriters", () => {
  it("writes a finished trial's config and last metrics for the HParams dashboard", () => {
    const dir = tmp();
    const writers = new TensorBoardWriters();
    writers.open("t1", dir);
    writers.append("t1", { training_iteration: 1, loss: 1, acc: 0.5 });
    writers.append("t1", { training_iteration: 2, loss: 0.5 });
    writers.flushAll();
    writers.close("t1", { config: { lr: 0.1, opt: "sgd", deep: { on: true }, sizes: [1, 2], none: null }, failed: false });
    const hp = hparamsOf(readEventFile(join(dir, eventFiles(dir)[0]!)));
    assert.deepEqual(hp.hparams, [["lr", 3], ["opt", 1], ["deep/on", 2], ["sizes", 1]]);
    assert.deepEqual(hp.values, [["lr", 0.1], ["opt", "sgd"], ["deep/on", true], ["sizes", "[1,2]"]]);
    assert.deepEqual(hp.metrics, ["ray/tune/loss"]);
    assert.equal(hp.status, 1);
  });

  it("marks a failed trial, and gives a trial that ended while not open its summaries from lastResult", () => {
    const dir = tmp();
    const writers = new TensorBoardWriters();
    writers.close("t2", { config: { x: 1 }, failed: true, lastResult: { training_iteration: 4, score: 3 }, trialDir: dir });
    const hp = hparamsOf(readEventFile(join(dir, eventFiles(dir)[0]!)));
    assert.deepEqual(hp.metrics, ["ray/tune/score"]);
    assert.equal(hp.status, 2);
  });

  it("writes no summaries for trials still unfinished at closeAll", () => {
    const dir = tmp();
    const writers = new TensorBoardWriters();
    writers.open("t1", dir);
    writers.append("t1", { training_iteration: 1, loss: 1 });
    writers.closeAll();
    const events = readEventFile(join(dir, eventFiles(dir)[0]!));
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.values.every((v) => !v.plugin)));
  });

  it("reports a trial whose events cannot be written once, by id and path, and goes on without it", () => {
    const root = tmp();
    const blocked = join(root, "not-a-dir");
    writeFileSync(blocked, "a file where the trial dir should be");
    const messages: string[] = [];
    const writers = new TensorBoardWriters({}, (m) => messages.push(m));
    writers.open("bad", blocked);
    writers.open("good", join(root, "good"));
    for (let i = 1; i <= 3; i++) {
      writers.append("bad", { training_iteration: i, loss: i });
      writers.append("good", { training_iteration: i, loss: i });
      writers.flushAll();
    }
    writers.close("bad", { config: {}, failed: false });
    writers.closeAll();
    assert.equal(messages.length, 1);
    assert.match(messages[0]!, /^trial bad: TensorBoard events could not be written to .*not-a-dir.*events\.out\.tfevents/);
    assert.equal(writers.open("bad", blocked), undefined, "stays off for that trial");
    assert.equal(scalarEvents(readEventFile(join(root, "good", eventFiles(join(root, "good"))[0]!))).length, 3);
  });
});
