/**
 * The few protocol-buffer encodings an event file needs, written by hand so
 * Tunelab needs no protobuf dependency: varints, length-delimited fields,
 * 64-bit doubles and 32-bit floats (proto3 wire format). Bytes go straight
 * into one growing buffer: this runs once per result per trial.
 */

const WIRE_VARINT = 0;
const WIRE_64BIT = 1;
const WIRE_LEN = 2;
const WIRE_32BIT = 5;

/** Builds one message's bytes field by field; nest with `message()`. */
export class ProtoWriter {
  private buf = Buffer.allocUnsafe(256);
  private len = 0;

  /** A varint field (int32/int64/uint64/enum/bool); negative values take 10 bytes, as int64 does. */
  varint(field: number, value: number | bigint): this {
    this.key(field, WIRE_VARINT);
    this.raw(encodeVarint(value));
    return this;
  }

  /** A `double` field. */
  double(field: number, value: number): this {
    this.key(field, WIRE_64BIT);
    this.room(8);
    this.len = this.buf.writeDoubleLE(value, this.len);
    return this;
  }

  /** A `float` field (the value is rounded to 32 bits). */
  float(field: number, value: number): this {
    this.key(field, WIRE_32BIT);
    this.room(4);
    this.len = this.buf.writeFloatLE(value, this.len);
    return this;
  }

  /** A `string` field (UTF-8). */
  string(field: number, value: string): this {
    const size = Buffer.byteLength(value, "utf8");
    this.key(field, WIRE_LEN);
    this.uint(size);
    this.room(size);
    this.len += this.buf.write(value, this.len, size, "utf8");
    return this;
  }

  /** A `bytes` field, or an embedded message's bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.uint(value.length);
    this.raw(value);
    return this;
  }

  /** An embedded message field. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }

  /** The encoded message (a view of this writer's buffer: copy it before writing more). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  private key(field: number, wire: number): void {
    this.uint(field * 8 + wire);
  }

  /** A non-negative varint below 2^31, written in place (keys and lengths). */
  private uint(value: number): void {
    this.room(5);
    while (value >= 0x80) {
      this.buf[this.len++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    this.buf[this.len++] = value;
  }

  private raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(bigger, 0, 0, this.len);
    this.buf = bigger;
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
