/**
 * The control server under load: a runner publishing hundreds of results a
 * second while many clients read, and a client that never reads. Figures go
 * to the test's diagnostics.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { ControlClient, type StreamEvent } from "../../../src/engine/control/client.ts";
import { fixture, GOOD, withTimeout } from "./helpers.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const heapMiB = (): number => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

void describe("control server under load", () => {
  void it("answers 50 concurrent clients correctly while 500 results/s stream to 5 SSE clients in order", async (t) => {
    const f = await fixture();
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const outcome = f.control.addTrial({ ...GOOD, layers: { units: 8 + i } });
      assert.ok(outcome.ok);
      ids.push(outcome.value.id);
      f.control.start(outcome.value.id);
    }
    const heapBefore = heapMiB();
    const client = ControlClient.fromExperimentDir(f.dir);
    const TOTAL = 1000;
    const first = f.server.stats().eventsPublished + 1;
    const streams = Array.from({ length: 5 }, () => {
      const got: StreamEvent[] = [];
      const ac = new AbortController();
      let open!: () => void;
      const opened = new Promise<void>((r) => (open = r));
      const done = client.events((e) => {
        got.push(e);
        if (got.length === TOTAL) ac.abort();
      }, ac.signal, { onOpen: open });
      return { got, opened, done };
    });
    await withTimeout(Promise.all(streams.map((s) => s.opened)), 5000, "5 event streams to open");

    // The producer keeps 500 events/s on average by emitting what the clock says is owed.
    let emitted = 0;
    const started = performance.now();
    const producer = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const owed = Math.min(TOTAL, Math.floor((performance.now() - started) * 0.5)) - emitted;
        for (let k = 0; k < owed; k++, emitted++) {
          const id = ids[emitted % ids.length]!;
          f.control.report(id, { training_iteration: Math.floor(emitted / ids.length) + 1, loss: 1 / (emitted + 1) });
        }
        if (emitted === TOTAL) { clearInterval(timer); resolve(); }
      }, 5);
    });

    let answered = 0;
    const latencies: number[] = [];
    let producing = true;
    void producer.then(() => (producing = false));
    const worker = async (w: number): Promise<void> => {
      for (let i = 0; producing || i < 3; i++) {
        const t0 = performance.now();
        const which = (w + i) % 3;
        if (which === 0) assert.equal((await client.trials()).length, 50);
        else if (which === 1) {
          const id = ids[(w * 7 + i) % 50]!;
          assert.equal((await client.trial(id)).id, id);
        } else assert.equal((await client.experiment()).counts.RUNNING, 50);
        latencies.push(performance.now() - t0);
        answered += 1;
      }
    };
    await withTimeout(Promise.all([producer, ...Array.from({ length: 50 }, (_, w) => worker(w))]), 30_000, "the load to finish");
    const seconds = (performance.now() - started) / 1000;
    await withTimeout(Promise.all(streams.map((s) => s.done)), 10_000, "every stream to get every event");

    for (const s of streams) {
      assert.equal(s.got.length, TOTAL);
      assert.deepEqual(s.got.map((e) => e.id), Array.from({ length: TOTAL }, (_, i) => first + i));
      assert.ok(s.got.every((e, i) => e.type === "result" && e.result.loss === 1 / (i + 1)));
    }
    const heapAfter = heapMiB();
    latencies.sort((a, b) => a - b);
    t.diagnostic(`${TOTAL} events in ${seconds.toFixed(2)} s (${(TOTAL / seconds).toFixed(0)}/s); ${answered} requests answered `
      + `(${(answered / seconds).toFixed(0)}/s), p50 ${latencies[latencies.length >> 1]!.toFixed(1)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)]!.toFixed(1)} ms; `
      + `heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB`);
    assert.ok(answered >= 150, `only ${answered} requests were answered`); // each of the 50 workers makes 3 at least
    assert.equal(f.server.stats().droppedClients, 0);
    assert.ok(heapAfter - heapBefore < 32, `heap grew by ${(heapAfter - heapBefore).toFixed(1)} MiB`);
    await f.cleanup();
  });

  void it("drops an SSE client that never reads, without growing memory, while a reading client gets everything", async (t) => {
    const limit = 128 * 1024;
    const f = await fixture({ maxBufferedBytes: limit, lingerMs: 200 });
    const first = f.server.stats().eventsPublished + 1;

    // The slow client: asks for the stream, then never reads a byte.
    const slow = connect({ host: "127.0.0.1", port: f.server.port });
    await withTimeout(new Promise<void>((r) => slow.once("connect", () => r())), 5000, "the slow client to connect");
    slow.on("error", () => undefined);
    slow.pause();
    slow.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${f.server.port}\r\nAuthorization: Bearer ${f.server.token}\r\n\r\n`);

    const fast = ControlClient.fromExperimentDir(f.dir);
    const got: (number | undefined)[] = []; // ids only: holding the payloads would hide what the server keeps
    const ac = new AbortController();
    let open!: () => void;
    const opened = new Promise<void>((r) => (open = r));
    let wanted = Infinity;
    let reached!: () => void;
    const allSeen = new Promise<void>((r) => (reached = r));
    const done = fast.events((e) => {
      got.push(e.id);
      if (got.length >= wanted) reached();
    }, ac.signal, { onOpen: open });
    await withTimeout(opened, 5000, "the reading client's stream");
    while (f.server.stats().sseClients < 2) await tick(); // the slow client's request is parsed on a later turn

    const heapBefore = heapMiB();
    const payload = "x".repeat(2048);
    let sent = 0;
    for (; sent < 40_000 && f.server.stats().droppedClients === 0; sent++) {
      f.control.report("t0", { training_iteration: sent + 1, blob: payload });
      if (sent % 20 === 19) await tick();
    }
    const heapAtDrop = heapMiB();
    assert.equal(f.server.stats().droppedClients, 1, `the slow client was not dropped after ${sent} events`);
    assert.equal(f.server.stats().sseClients, 1);
    // Keep publishing: nothing more may pile up for the dropped client.
    for (let k = 0; k < 2000; k++, sent++) {
      f.control.report("t0", { training_iteration: sent + 1, blob: payload });
      if (k % 20 === 19) await tick();
    }
    wanted = sent;
    if (got.length >= wanted) reached();
    await withTimeout(allSeen, 20_000, `the reading client to get ${sent} events`);
    // A paused socket never reads its FIN, so the server's own count says the socket was destroyed.
    await withTimeout((async () => { while (f.server.stats().endingStreams > 0) await tick(); })(), 5000, "the server to destroy the slow client's socket");
    slow.destroy();
    ac.abort();
    await done;
    const heapAfter = heapMiB();
    const bytes = sent * (payload.length + 100);
    t.diagnostic(`slow client dropped after ${sent - 2000} events (~${(bytes / 2 ** 20).toFixed(0)} MiB published in all); `
      + `heap ${heapBefore.toFixed(1)} → ${heapAtDrop.toFixed(1)} at drop → ${heapAfter.toFixed(1)} MiB`);
    assert.deepEqual(got, Array.from({ length: sent }, (_, i) => first + i));
    assert.ok(heapAfter - heapBefore < 16, `heap grew by ${(heapAfter - heapBefore).toFixed(1)} MiB`);
    await f.cleanup();
  });
});
