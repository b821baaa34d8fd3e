import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  MAX_REPORT_LINE_BYTES,
  parseReportLine,
  ReportParser,
  TaggedStdoutSplitter,
  type ReportOutcome,
} from "../../../src/engine/trainables/report-parser.ts";

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */
function cut(bytes: Buffer, offsets: number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    parts.push(bytes.subarray(prev, p));
    prev = p;
  }
  return parts;
}

function parseAll(chunks: Buffer[], maxBytes?: number): ReportOutcome[] {
  const parser = new ReportParser(maxBytes);
  return [...chunks.flatMap((c) => parser.push(c)), ...parser.end()];
}

const metric = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Object.is(x, -0)), fc.string(), fc.boolean(), fc.constant(null), fc.string({ unit: "binary" }));
const message = fc.record(
  { result: fc.dictionary(fc.string({ unit: "binary", maxLength: 8 }), metric, { maxKeys: 5 }), checkpoint: fc.constantFrom("/tmp/ck_1", "/tmp/ünï/ck") },
  { requiredKeys: ["result"] },
);

void describe("parseReportLine", () => {
  void it("accepts a result with a checkpoint and ignores unknown keys", () => {
    assert.deepEqual(parseReportLine('{"result": {"loss": 0.5, "nested": {"a": [1]}}, "checkpoint": "/x/ck", "extra": 1}'), {
      kind: "report",
      message: { result: { loss: 0.5, nested: { a: [1] } }, checkpoint: "/x/ck" },
    });
  });

  const rejects: [string, string, RegExp][] = [
    ["invalid JSON, quoting the line", "{oops" + "y".repeat(200), /not valid JSON .*: \{oopsy+…$/],
    ["NaN, naming the metric", '{"result": {"acc": 1, "loss": NaN}}', /metric "loss" is NaN, and NaN\/Infinity are not valid JSON/],
    ["-Infinity", '{"result": {"loss": -Infinity}}', /metric "loss" is -Infinity/],
    ["NaN inside an array", '{"result": {"xs": [1, NaN]}}', /a value is NaN or Infinity/],
    ["a non-object", "42", /must be a JSON object.*got a number/],
    ["null", "null", /got null/],
    ["a missing result", '{"metrics": {}}', /"result" is missing/],
    ["a non-object result", '{"result": [1]}', /"result" must be an object of metrics; got an array/],
    ["a non-string checkpoint", '{"result": {}, "checkpoint": 3}', /"checkpoint" must be a directory path string; got a number/],
    ["a relative checkpoint", '{"result": {}, "checkpoint": "ck"}', /must be an absolute directory path/],
  ];
  for (const [what, line, pattern] of rejects) {
    void it(`rejects ${what}`, () => {
      const out = parseReportLine(line);
      assert.equal(out.kind, "error");
      assert.match((out as { message: string }).message, pattern);
    });
  }

  void it("does not mistake NaN inside a string for a NaN value", () => {
    assert.equal(parseReportLine('{"result": {"note": "NaN, Infinity"}}').kind, "report");
  });
});

void describe("ReportParser", () => {
  void it("yields the same messages for any split of a valid stream into chunks", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), fc.boolean(), (messages, offsets, crlf) => {
        const nl = crlf ? "\r\n" : "\n";
        const bytes = Buffer.from(messages.map((m) => JSON.stringify(m) + nl).join(""), "utf8");
        // Round-trip: fast-check may build null-prototype objects, JSON.parse never does.
        const expected = messages.map((m) => ({ kind: "report", message: JSON.parse(JSON.stringify(m)) as unknown }));
        assert.deepEqual(parseAll(cut(bytes, offsets)), expected);
      }),
    );
  });

  void it("never throws on garbage and always ends in a clean state", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const out = parseAll(chunks.map((c) => Buffer.from(c)), 16);
        for (const o of out) if (o.kind === "error") assert.ok(o.message.length > 0);
      }),
    );
  });

  void it("drops an over-long line without buffering it, then carries on", () => {
    const parser = new ReportParser(100);
    const out: ReportOutcome[] = [];
    for (let i = 0; i < 1000; i++) out.push(...parser.push(Buffer.alloc(1000, 0x61)));
    out.push(...parser.push(Buffer.from('\n{"result": {"ok": 1}}\n')), ...parser.end());
    assert.equal(out.length, 2);
    assert.match((out[0] as { message: string }).message, /report line longer than 100 bytes \(1000000 bytes\) — it was dropped/);
    assert.deepEqual(out[1], { kind: "report", message: { result: { ok: 1 } } });
  });

  void it("says 1 MiB for the protocol's limit", () => {
    const out = parseAll([Buffer.alloc(MAX_REPORT_LINE_BYTES + 1, 0x61), Buffer.from("\n")]);
    assert.match((out[0] as { message: string }).message, /^report line longer than 1 MiB \(1048577 bytes\) — /);
  });

  void it("reports a trailing partial line at the end", () => {
    const out = parseAll([Buffer.from('{"result": {}}\n{"result": ')]);
    assert.equal(out.length, 2);
    assert.match((out[1] as { message: string }).message, /ended in the middle of a line.*\{"result":/);
  });
});

void describe("TaggedStdoutSplitter", () => {
  const tag = "@tunelab:9f3c2a71e0:";
  const line = fc.oneof(
    message.map((m) => ({ tagged: true, text: tag + JSON.stringify(m), m })),
    fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !s.includes("\n") && !s.startsWith(tag)).map((text) => ({ tagged: false, text, m: undefined })),
    fc.constant({ tagged: false, text: tag.slice(0, 9), m: undefined }),
  );

  void it("splits reports from plain output the same way for any chunking", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (lines, offsets) => {
        const bytes = Buffer.from(lines.map((l) => l.text + "\n").join(""), "utf8");
        const splitter = new TaggedStdoutSplitter(tag);
        const outs = [...cut(bytes, offsets).map((c) => splitter.push(c)), splitter.end()];
        const plain = Buffer.concat(outs.flatMap((o) => o.passthrough)).toString("utf8");
        assert.equal(plain, lines.filter((l) => !l.tagged).map((l) => l.text + "\n").join(""));
        assert.deepEqual(
          outs.flatMap((o) => o.outcomes),
          lines.filter((l) => l.tagged).map((l) => ({ kind: "report", message: JSON.parse(JSON.stringify(l.m)) as unknown })),
        );
      }),
    );
  });

  void it("passes a huge untagged line through without holding it", () => {
    const splitter = new TaggedStdoutSplitter(tag, 100);
    let passed = 0;
    for (let i = 0; i < 100; i++) passed += splitter.push(Buffer.alloc(10_000, 0x62)).passthrough.reduce((n, b) => n + b.length, 0);
    assert.equal(passed, 1_000_000);
  });

  void it("keeps a final line without newline as output, but a cut-off tagged line is an error", () => {
    const a = new TaggedStdoutSplitter(tag);
    assert.equal(Buffer.concat([...a.push(Buffer.from("abc")).passthrough, ...a.end().passthrough]).toString(), "abc");
    const b = new TaggedStdoutSplitter(tag);
    b.push(Buffer.from(`${tag}{"result"`));
    assert.match((b.end().outcomes[0] as { message: string }).message, /ended in the middle of a line/);
  });

  void it("never throws on garbage", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const s = new TaggedStdoutSplitter("@t:", 16);
        for (const c of chunks) s.push(Buffer.concat([Buffer.from("@t:"), Buffer.from(c)]));
        s.end();
      }),
    );
  });
});
