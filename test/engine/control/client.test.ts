import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { ControlClient, ControlError, SseParser, type StreamEvent } from "../../../src/engine/control/client.ts";
import { fixture, GOOD, withTimeout, type Fixture } from "./helpers.ts";

/** Collects stream events until `done` says so; `opened` resolves once the server streams to this client. */
function collect(client: ControlClient, done: (events: StreamEvent[]) => boolean, lastEventId?: number) {
  const events: StreamEvent[] = [];
  const ac = new AbortController();
  let open!: () => void;
  const opened = withTimeout(new Promise<void>((resolve) => (open = resolve)), 5000, "the event stream to open");
  const finished = new Promise<StreamEvent[]>((resolve, reject) => {
    client.events((e) => {
      events.push(e);
      if (done(events)) { ac.abort(); resolve(events); }
    }, ac.signal, { onOpen: open, ...(lastEventId === undefined ? {} : { lastEventId }) }).then(() => resolve(events), reject);
  });
  return { events, opened, finished, abort: () => ac.abort() };
}

void describe("control client", () => {
  let f: Fixture;
  let client: ControlClient;
  before(async () => {
    f = await fixture({ heartbeatMs: 50 });
    client = ControlClient.fromExperimentDir(f.dir);
  });
  after(async () => { await f.cleanup(); });

  void it("says there is no running experiment when control.json is missing", () => {
    const dir = mkdtempSync(join(tmpdir(), "tunelab-noctl-"));
    assert.throws(() => ControlClient.fromExperimentDir(dir), (e: ControlError) => e.kind === "no-control-file" && e.message === `no running experiment in ${dir} (control.json missing)`);
    rmSync(dir, { recursive: true });
  });

  void it("says the runner is not running when nothing listens on its port", async () => {
    const dead = await fixture();
    const port = dead.server.port;
    await dead.server.close();
    writeFileSync(join(dead.dir, "control.json"), JSON.stringify({ url: `http://127.0.0.1:${port}`, port, token: "x", pid: 1 }));
    await assert.rejects(ControlClient.fromExperimentDir(dead.dir).trials(),
      (e: ControlError) => e.kind === "not-running" && e.message.startsWith(`the runner of ${dead.dir} is not running (connection refused`));
    await dead.cleanup();
  });

  void it("adds, lists, pauses, resumes and stops trials", async () => {
    const { id } = await client.addTrial(GOOD);
    assert.deepEqual((await client.trials()).map((t) => t.id), [id]);
    f.control.start(id);
    await client.pauseTrial(id);
    assert.equal((await client.trial(id)).status, "PAUSED");
    await client.resumeTrial(id);
    await client.stopTrial(id);
    assert.equal((await client.experiment()).counts.TERMINATED, 1);
    await assert.rejects(client.stopTrial(id), (e: ControlError) => e.status === 409 && /already ended/.test(e.message));
    await assert.rejects(client.trial("nope"), (e: ControlError) => e.status === 404);
  });

  void it("rejects an invalid trial with the server's diagnostics", async () => {
    await assert.rejects(client.addTrial({ ...GOOD, act: "gelu" }),
      (e: ControlError) => e.status === 400 && e.diagnostics[0]?.path.join(".") === "config.act" && e.diagnostics[0].code === "point-not-member");
  });

  void it("streams events in order with increasing ids, and replays from Last-Event-ID", async () => {
    const base = f.server.stats().eventsPublished;
    const live = collect(client, (es) => es.filter((e) => e.type === "result").length === 20);
    await live.opened;
    for (let i = 0; i < 20; i++) f.control.report("t00000", { training_iteration: i + 1, loss: 1 / (i + 1) });
    const events = (await withTimeout(live.finished, 5000, "20 results")).filter((e) => e.type === "result");
    assert.deepEqual(events.map((e) => e.id), Array.from({ length: 20 }, (_, i) => base + i + 1));
    assert.deepEqual(events.map((e) => e.type === "result" && e.result.training_iteration), Array.from({ length: 20 }, (_, i) => i + 1));
    const replay = collect(client, (es) => es.length === 5, base + 15);
    assert.deepEqual((await withTimeout(replay.finished, 5000, "replay")).map((e) => e.id), [16, 17, 18, 19, 20].map((n) => base + n));
  });

  void it("sends heartbeat comments on an idle stream", async () => {
    const text = await withTimeout(new Promise<string>((resolve) => {
      let seen = "";
      const s = connect({ host: "127.0.0.1", port: f.server.port }, () =>
        s.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${f.server.port}\r\nAuthorization: Bearer ${f.server.token}\r\n\r\n`));
      s.on("data", (c: Buffer) => {
        seen += c.toString();
        if (seen.includes(": heartbeat\n\n")) { s.destroy(); resolve(seen); }
      });
    }), 5000, "a heartbeat");
    assert.match(text, /text\/event-stream/);
  });

  void it("ends every stream after experiment_ended, and a late client gets that event at once", async () => {
    const live = collect(client, () => false);
    await live.opened;
    f.control.emit({ type: "experiment_ended", outcome: "completed" });
    const got = await withTimeout(live.finished, 5000, "the stream to end");
    assert.equal(got.at(-1)?.type, "experiment_ended");
    const late = await withTimeout(collect(client, () => false).finished, 5000, "a late stream to end");
    assert.deepEqual(late.map((e) => e.type), ["experiment_ended"]);
  });
});

void describe("SSE parser", () => {
  void it("yields the same events however the stream is split into chunks", () => {
    const text = ": hi\n\nretry: 2000\n\nid: 1\nevent: result\ndata: {\"a\":1}\n\nevent: gap\r\ndata: {\"b\":\"x\\ny\"}\r\n\r\nid: 3\nevent: trial_ended\ndata: {}\r\r\n";
    const whole: StreamEvent[] = [];
    new SseParser((e) => whole.push(e)).push(text);
    assert.deepEqual(whole.map((e) => [e.type, e.id]), [["result", 1], ["gap", undefined], ["trial_ended", 3]]);
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: text.length }), { maxLength: 12 }), (cuts) => {
      const got: StreamEvent[] = [];
      const p = new SseParser((e) => got.push(e));
      const points = [0, ...[...cuts].sort((a, b) => a - b), text.length];
      for (let i = 1; i < points.length; i++) p.push(text.slice(points[i - 1], points[i]));
      assert.deepEqual(got, whole);
    }));
  });
});
