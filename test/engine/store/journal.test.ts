import { strict as assert } from "node:assert";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { JournalEvent } from "../../../src/engine/store/events.ts";
import { Journal, JournalError, parseJournal, readJournal, readJournalSync } from "../../../src/engine/store/journal.ts";

const tmp = (): string => mkdtempSync(join(tmpdir(), "tunelab-journal-"));
const result = (seq: number): JournalEvent => ({ t: "result", ts: 1, id: "t0", r: { seq } });

test("journal round trip: flushed events read back in order", async () => {
  const dir = tmp();
  const journal = Journal.open(dir);
  journal.append({ t: "experiment", ts: 1, name: "exp", seed: 7, configPath: "tune.config.ts", metric: "loss", mode: "min" });
  for (let i = 0; i < 100; i++) journal.append(result(i));
  assert.equal(journal.acknowledged, 0);
  await journal.flush();
  assert.equal(journal.acknowledged, 101);
  journal.close();
  const { events, torn } = await readJournal(dir);
  assert.equal(torn, false);
  assert.equal(events.length, 101);
  assert.deepEqual(events[0], { t: "experiment", ts: 1, name: "exp", seed: 7, configPath: "tune.config.ts", metric: "loss", mode: "min" });
  assert.deepEqual(events[100], result(99));
});

test("appendResult writes the same event as append", () => {
  const dir = tmp();
  const journal = Journal.open(dir);
  journal.appendResult(5, "t1", JSON.stringify({ loss: 0.5 }));
  journal.close();
  assert.deepEqual(readJournalSync(dir).events, [{ t: "result", ts: 5, id: "t1", r: { loss: 0.5 } }]);
});

test("concurrent flushes all resolve after their events are synced", async () => {
  const dir = tmp();
  const journal = Journal.open(dir);
  const waits: Promise<void>[] = [];
  for (let i = 0; i < 10; i++) {
    journal.append(result(i));
    waits.push(journal.flush());
  }
  await Promise.all(waits);
  assert.equal(journal.acknowledged, 10);
  journal.close();
  assert.equal(readJournalSync(dir).events.length, 10);
});

test("the flush timer acknowledges appended events without an explicit flush", async () => {
  const dir = tmp();
  let flushed!: () => void;
  const beforeFlush = new Promise<void>((resolve) => (flushed = resolve));
  const journal = Journal.open(dir, { flushIntervalMs: 5, beforeFlush: () => flushed() });
  journal.append(result(0));
  // The journal's timer is unref'd (it must not keep a runner alive); this ref'd guard keeps the test alive.
  let guard!: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (guard = setTimeout(() => reject(new Error("no timer flush within 5 s")), 5000)));
  await Promise.race([beforeFlush, timeout]);
  clearTimeout(guard);
  await journal.flush(); // joins the timer's sync
  assert.equal(journal.acknowledged, 1);
  journal.close();
});

test("a torn last line is ignored, and reported as torn", () => {
  const text = JSON.stringify(result(0)) + "\n" + JSON.stringify(result(1)) + "\n" + '{"t":"result","ts":1,"id":"t0","r":{"se';
  const parsed = parseJournal(text);
  assert.equal(parsed.torn, true);
  assert.deepEqual(parsed.events, [result(0), result(1)]);
});

test("an unparseable terminated last line (NULs left by a crash) is ignored", () => {
  const parsed = parseJournal(JSON.stringify(result(0)) + "\n" + "\0\0\0\0\n");
  assert.equal(parsed.torn, true);
  assert.deepEqual(parsed.events, [result(0)]);
});

test("a corrupt line in the middle is an error naming the file and line", () => {
  const text = [result(0), result(1)].map((e) => JSON.stringify(e)).join("\n") + "\n{oops\n" + JSON.stringify(result(2)) + "\n";
  assert.throws(
    () => parseJournal(text, "/x/events.jsonl"),
    (error: unknown) => error instanceof JournalError && error.line === 3 && error.message.startsWith("/x/events.jsonl:3:"),
  );
});

test("a line that is JSON but not an event is reported too", () => {
  const text = JSON.stringify(result(0)) + "\n[1,2]\n" + JSON.stringify(result(1)) + "\n";
  assert.throws(() => parseJournal(text), (error: unknown) => error instanceof JournalError && error.line === 2);
});

test("reopening cuts a torn tail so new appends do not corrupt the middle", async () => {
  const dir = tmp();
  const journal = Journal.open(dir);
  journal.append(result(0));
  await journal.flush();
  journal.close();
  appendFileSync(join(dir, "events.jsonl"), '{"t":"result","ts":1,"id":"t0"');
  const again = Journal.open(dir);
  assert.equal(again.repairedBytes, '{"t":"result","ts":1,"id":"t0"'.length);
  again.append(result(1));
  again.close();
  const parsed = readJournalSync(dir);
  assert.equal(parsed.torn, false);
  assert.deepEqual(parsed.events, [result(0), result(1)]);
});

test("reopening a journal whose only content is torn empties it", () => {
  const dir = tmp();
  writeFileSync(join(dir, "events.jsonl"), '{"t":"expe');
  Journal.open(dir).close();
  assert.equal(readFileSync(join(dir, "events.jsonl"), "utf8"), "");
});

test("a missing journal reads as empty; a closed journal refuses appends", () => {
  const dir = tmp();
  assert.deepEqual(readJournalSync(join(dir, "nope")), { events: [], torn: false });
  const journal = Journal.open(dir);
  journal.close();
  assert.throws(() => journal.append(result(0)), /journal is closed/);
});

test("a journal whose file was deleted fails its next flush, naming the file, instead of writing into nothing", async () => {
  const dir = tmp();
  const journal = Journal.open(dir);
  journal.append(result(0));
  await journal.flush();
  rmSync(dir, { recursive: true });
  journal.append(result(1));
  await assert.rejects(journal.flush(), (e: Error) => e.message.includes(join(dir, "events.jsonl")) && /deleted while the experiment ran/.test(e.message));
  assert.throws(() => journal.append(result(2)), /deleted/);
});
