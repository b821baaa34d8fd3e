/**
 * An event-file reader for tests, written from the TFRecord and protobuf
 * specs and sharing no code with the writer (src/engine/loggers): CRC-32C
 * bit by bit from the polynomial, protobuf wire format by hand.
 */
import { readFileSync } from "node:fs";

export interface DecodedValue {
  tag: string;
  simpleValue?: number;
  plugin?: { name: string; content: Uint8Array };
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: DecodedValue[];
}

export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(crc: number): number {
  const rotated = ((crc >>> 15) | (crc << 17)) >>> 0;
  return (rotated + 0xa282ead8) % 2 ** 32;
}

/** The records of a TFRecord file; throws naming the offset when a CRC or a length is wrong. */
export function readRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + 12 > bytes.length) throw new Error(`@${off}: truncated header`);
    const length = Number(view.getBigUint64(off, true));
    if (view.getUint32(off + 8, true) !== masked(crc32cBitwise(bytes.subarray(off, off + 8)))) throw new Error(`@${off}: bad length CRC`);
    const data = bytes.subarray(off + 12, off + 12 + length);
    if (off + 16 + length > bytes.length) throw new Error(`@${off}: truncated record`);
    if (view.getUint32(off + 12 + length, true) !== masked(crc32cBitwise(data))) throw new Error(`@${off}: bad data CRC`);
    out.push(data);
    off += 16 + length;
  }
  return out;
}

type Field = { field: number; wire: number; int?: bigint; bytes?: Uint8Array };

/** Protobuf wire format as (field, wire type, value) triples. */
export function parseFields(buf: Uint8Array): Field[] {
  const out: Field[] = [];
  let off = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[off++];
      if (b === undefined) throw new Error("truncated varint");
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (!(b & 0x80)) return result;
    }
  };
  while (off < buf.length) {
    const key = Number(varint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, int: varint() });
    else if (wire === 1) out.push({ field, wire, bytes: buf.subarray(off, (off += 8)) });
    else if (wire === 5) out.push({ field, wire, bytes: buf.subarray(off, (off += 4)) });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ field, wire, bytes: buf.subarray(off, (off += len)) });
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}

const le = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

export function decodeEvent(buf: Uint8Array): DecodedEvent {
  const event: DecodedEvent = { wallTime: 0, step: 0, values: [] };
  for (const f of parseFields(buf)) {
    if (f.field === 1 && f.wire === 1) event.wallTime = le(f.bytes!).getFloat64(0, true);
    else if (f.field === 2 && f.wire === 0) event.step = Number(BigInt.asIntN(64, f.int!));
    else if (f.field === 3 && f.wire === 2) event.fileVersion = text(f.bytes!);
    else if (f.field === 5 && f.wire === 2) {
      for (const v of parseFields(f.bytes!)) {
        if (v.field !== 1) throw new Error(`Summary field ${v.field}`);
        const value: DecodedValue = { tag: "" };
        for (const g of parseFields(v.bytes!)) {
          if (g.field === 1) value.tag = text(g.bytes!);
          else if (g.field === 2 && g.wire === 5) value.simpleValue = le(g.bytes!).getFloat32(0, true);
          else if (g.field === 9) {
            const pluginData = parseFields(g.bytes!).find((m) => m.field === 1)!;
            const p = parseFields(pluginData.bytes!);
            value.plugin = { name: text(p.find((x) => x.field === 1)!.bytes!), content: p.find((x) => x.field === 2)?.bytes ?? new Uint8Array() };
          } else throw new Error(`Summary.Value field ${g.field}`);
        }
        event.values.push(value);
      }
    } else throw new Error(`Event field ${f.field} (wire ${f.wire})`);
  }
  return event;
}

export function readEventFile(path: string): DecodedEvent[] {
  return readRecords(new Uint8Array(readFileSync(path))).map(decodeEvent);
}
