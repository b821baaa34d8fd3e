/** CRC-32C, TFRecord masking and protobuf varints against published vectors and an independent bitwise CRC. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import fc from "fast-check";
import { crc32c, maskCrc } from "../../../src/engine/loggers/crc32c.ts";
import { encodeVarint, ProtoWriter } from "../../../src/engine/loggers/protobuf.ts";
import { frameRecord, scalarsRecord, summaryEvent } from "../../../src/engine/loggers/tfevents.ts";
import { crc32cBitwise, parseFields, readRecords } from "./event-reader.ts";

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("crc32c", () => {
  it("matches the check value and RFC 3720's vectors", () => {
    assert.equal(crc32c(ascii("123456789")), 0xe3069283);
    assert.equal(crc32c(new Uint8Array(0)), 0);
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
    assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
    assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  });

  it("agrees with a bit-by-bit CRC over any bytes and any subrange", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), (bytes, a, b) => {
      assert.equal(crc32c(bytes), crc32cBitwise(bytes));
      const [s, e] = [a % (bytes.length + 1), b % (bytes.length + 1)].sort((x, y) => x - y) as [number, number];
      assert.equal(crc32c(bytes, s, e), crc32cBitwise(bytes.subarray(s, e)));
    }));
  });

  it("masks as TFRecord does: rotate right 15, add 0xa282ead8, mod 2^32", () => {
    fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (crc) => {
      const rotated = Number((BigInt(crc) >> 15n) | ((BigInt(crc) << 17n) & 0xffffffffn));
      assert.equal(maskCrc(crc), (rotated + 0xa282ead8) % 2 ** 32);
    }));
    assert.equal(maskCrc(0), 0xa282ead8);
  });
});

describe("protobuf varints", () => {
  it("encode the documented examples, and negatives as ten-byte two's complement", () => {
    assert.deepEqual([...encodeVarint(1)], [0x01]);
    assert.deepEqual([...encodeVarint(150)], [0x96, 0x01]);
    assert.deepEqual([...encodeVarint(300)], [0xac, 0x02]);
    assert.deepEqual([...encodeVarint(2 ** 32)], [0x80, 0x80, 0x80, 0x80, 0x10]);
    assert.deepEqual([...encodeVarint(-1)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    assert.throws(() => encodeVarint(1.5), /safe integer/);
  });

  it("round-trip every safe integer through an independent wire parser", () => {
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => {
      const [f] = parseFields(new ProtoWriter().varint(2, n).finish());
      assert.equal(f!.field, 2);
      assert.equal(BigInt.asIntN(64, f!.int!), BigInt(n));
    }));
  });
});

describe("TFRecord framing", () => {
  it("frames any payloads so an independent reader gets them back with valid CRCs", () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 8 }), (payloads) => {
      const file = Buffer.concat(payloads.map(frameRecord));
      assert.deepEqual(readRecords(new Uint8Array(file)).map((r) => [...r]), payloads.map((p) => [...p]));
    }));
  });

  it("is caught by the reader when a byte flips", () => {
    const record = frameRecord(ascii("hello"));
    record[13]! ^= 1;
    assert.throws(() => readRecords(record), /bad data CRC/);
  });
});

describe("scalar events", () => {
  it("the sized-up-front encoder writes the same bytes as the general one", () => {
    fc.assert(fc.property(
      fc.double({ noNaN: true }), fc.oneof(fc.constant(0), fc.integer({ min: -5, max: 2 ** 40 })),
      fc.array(fc.record({ tag: fc.string({ unit: "grapheme", maxLength: 200 }), simpleValue: fc.double() }), { maxLength: 20 }),
      (wall, step, scalars) => {
        assert.deepEqual([...scalarsRecord(wall, step, scalars)], [...frameRecord(summaryEvent(wall, step, scalars))]);
      },
    ));
  });
});
