import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FrameDecoder, encodeFrame, type WorkerFrame } from "../../../src/engine/executors/worker-frames.ts";

const kinds = ["stdout", "stderr", "report"] as const;

describe("worker frames", () => {
  it("decode to the same frames however the stream is cut into chunks", () => {
    const frame = fc.oneof(
      fc.record({ kind: fc.constantFrom(...kinds), bytes: fc.uint8Array({ maxLength: 64 }) }),
      fc.record({ kind: fc.constant("event" as const), code: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }), (frames, cuts) => {
      const wire = Buffer.concat(frames.map((f) => (f.kind === "event" ? encodeFrame("event", JSON.stringify({ exit: { code: f.code, signal: null } })) : encodeFrame(f.kind, Buffer.from(f.bytes)))));
      const decoder = new FrameDecoder();
      const out: WorkerFrame[] = [];
      let at = 0;
      for (const cut of cuts) {
        out.push(...decoder.push(wire.subarray(at, Math.min(wire.length, at + cut))));
        at = Math.min(wire.length, at + cut);
      }
      out.push(...decoder.push(wire.subarray(at)));
      assert.equal(decoder.pending, 0);
      assert.deepEqual(out, frames.map((f): WorkerFrame => (f.kind === "event" ? { kind: "event", event: { exit: { code: f.code, signal: null } } } : { kind: f.kind, bytes: Buffer.from(f.bytes) })));
    }));
  });

  it("says the channel is out of step on an unknown frame type, and decodes nothing after it", () => {
    const decoder = new FrameDecoder();
    const out = decoder.push(Buffer.concat([Buffer.from("garbage!"), encodeFrame("stdout", "x")]));
    assert.equal(out.length, 1);
    assert.equal(out[0]!.kind, "invalid");
    assert.deepEqual(decoder.push(encodeFrame("stdout", "y")), []);
  });

  it("reports an event that is not a JSON object", () => {
    const [frame] = new FrameDecoder().push(encodeFrame("event", "[1]"));
    assert.equal(frame!.kind, "invalid");
  });
});
