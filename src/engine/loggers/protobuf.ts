/**
 * The few protocol-buffer encodings an event file needs, written by hand so
 * Tunelab needs no protobuf dependency: varints, length-delimited fields,
 * 64-bit doubles and 32-bit floats (proto3 wire format).
 */

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
const WIRE_LEN = 2;
const WIRE_32BIT = 5;

const utf8 = new TextEncoder();

/** Builds one message's bytes field by field; nest with `message()`. */
export class ProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;

  /** A varint field (int32/int64/uint64/enum/bool); negative values take 10 bytes, as int64 does. */
  varint(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.push(encodeVarint(value));
    return this;
  }

  /** A `double` field. */
  double(field: number, value: number): this {
    this.key(field, WIRE_64BIT);
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A `float` field (the value is rounded to 32 bits). */
  float(field: number, value: number): this {
    this.key(field, WIRE_32BIT);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A `bytes` field, or an embedded message's bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.push(encodeVarint(value.length));
    this.push(value);
    return this;
  }

  /** An embedded message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** The encoded message. */
  finish(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const c of this.chunks) {
      out.set(c, off);
      off += c.length;
    }
    return out;
  }

  private key(field: number, wire: number): void {
    this.push(encodeVarint(field * 8 + wire));
  }

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }
}

/** Base-128 varint of an integer; negatives as 64-bit two's complement (10 bytes). */
export function encodeVarint(value: number | bigint): Uint8Array {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint needs a safe integer, got ${value}`);
    if (value < 0) return encodeVarint(BigInt(value));
    const out: number[] = [];
    // Division, not `>>>`: values above 2^31 lose their high bits under 32-bit shifts.
    while (value >= 0x80) {
      out.push((value % 0x80) | 0x80);
      value = Math.floor(value / 0x80);
    }
    out.push(value);
    return Uint8Array.from(out);
  }
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}
