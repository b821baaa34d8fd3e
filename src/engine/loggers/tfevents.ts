/**
 * TensorBoard's event-file format: TFRecord framing around `Event` protocol
 * buffers (tensorflow/core/util/event.proto, summary.proto). Only what scalar
 * logging needs: the `file_version` header event and `Summary` events of
 * `simple_value`s, plus raw summaries for plugins (see hparams.ts).
 */
import type { Result } from "../interfaces.ts";
import { crc32c, maskCrc } from "./crc32c.ts";
import { encodeVarint, ProtoWriter } from "./protobuf.ts";

/** What TensorBoard expects in the first event of a file. */
export const FILE_VERSION = "brain.Event:2";

/** Tag prefix of result scalars: the one Ray Tune's TensorBoard logger uses, so dashboards and scripts made for its runs read ours. */
export const DEFAULT_TAG_PREFIX = "ray/tune";

/** Result keys not charted, as Ray Tune's logger skips them: constant per trial, or the x axis itself. */
const SKIPPED_KEYS = new Set(["config", "pid", "timestamp", "time_total_s", "training_iteration"]);

// Event fields (event.proto).
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
// Summary and Summary.Value fields (summary.proto).
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;
const VALUE_METADATA = 9;
const METADATA_PLUGIN_DATA = 1;
const PLUGIN_NAME = 1;
const PLUGIN_CONTENT = 2;

/** One TFRecord: length (uint64 LE), masked CRC-32C of the length, data, masked CRC-32C of the data. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskCrc(crc32c(out, 0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskCrc(crc32c(data)), true);
  return out;
}

/**
 * The framed record of an `Event` of scalars, sized up front and written in
 * one buffer: the hot path (once per result per trial) of what
 * `frameRecord(summaryEvent(...))` does for any summary.
 */
export function scalarsRecord(wallTimeS: number, step: number, scalars: readonly { tag: string; simpleValue: number }[]): Uint8Array {
  const tagLengths = scalars.map((s) => Buffer.byteLength(s.tag, "utf8"));
  let summaryLen = 0;
  for (const n of tagLengths) {
    const valueLen = 1 + varintSize(n) + n + 5;
    summaryLen += 1 + varintSize(valueLen) + valueLen;
  }
  const stepBytes = step !== 0 ? encodeVarint(step) : undefined;
  const eventLen = 9 + (stepBytes ? 1 + stepBytes.length : 0) + 1 + varintSize(summaryLen) + summaryLen;
  const out = Buffer.allocUnsafe(eventLen + 16);
  out.writeBigUInt64LE(BigInt(eventLen), 0);
  out.writeUInt32LE(maskCrc(crc32c(out, 0, 8)), 8);
  let off = 12;
  const uint = (v: number): void => {
    while (v >= 0x80) {
      out[off++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    out[off++] = v;
  };
  out[off++] = (EVENT_WALL_TIME << 3) | 1;
  off = out.writeDoubleLE(wallTimeS, off);
  if (stepBytes) {
    out[off++] = EVENT_STEP << 3;
    out.set(stepBytes, off);
    off += stepBytes.length;
  }
  out[off++] = (EVENT_SUMMARY << 3) | 2;
  uint(summaryLen);
  scalars.forEach((s, i) => {
    const n = tagLengths[i]!;
    out[off++] = (SUMMARY_VALUE << 3) | 2;
    uint(1 + varintSize(n) + n + 5);
    out[off++] = (VALUE_TAG << 3) | 2;
    uint(n);
    off += out.write(s.tag, off, n, "utf8");
    out[off++] = (VALUE_SIMPLE_VALUE << 3) | 5;
    off = out.writeFloatLE(s.simpleValue, off);
  });
  out.writeUInt32LE(maskCrc(crc32c(out, 12, 12 + eventLen)), 12 + eventLen);
  return out;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n >>>= 7;
    size++;
  }
  return size;
}

/** The header event every event file starts with. */
export function fileVersionEvent(wallTimeS: number): Uint8Array {
  return new ProtoWriter().double(EVENT_WALL_TIME, wallTimeS).string(EVENT_FILE_VERSION, FILE_VERSION).finish();
}

/** A summary value: a scalar, or plugin data with no value (what the HParams plugin reads). */
export type SummaryValue =
  | { tag: string; simpleValue: number }
  | { tag: string; plugin: { name: string; content: Uint8Array } };

/** An `Event` carrying one `Summary`; a zero step is left out, as proto3 does. */
export function summaryEvent(wallTimeS: number, step: number, values: readonly SummaryValue[]): Uint8Array {
  const summary = new ProtoWriter();
  for (const v of values) {
    const value = new ProtoWriter().string(VALUE_TAG, v.tag);
    // simple_value sits in a oneof, so it is written even when 0 (proto3 keeps oneof presence).
    if ("simpleValue" in v) value.float(VALUE_SIMPLE_VALUE, v.simpleValue);
    else {
      const plugin = new ProtoWriter().string(PLUGIN_NAME, v.plugin.name).bytes(PLUGIN_CONTENT, v.plugin.content);
      value.message(VALUE_METADATA, new ProtoWriter().message(METADATA_PLUGIN_DATA, plugin));
    }
    summary.message(SUMMARY_VALUE, value);
  }
  const event = new ProtoWriter().double(EVENT_WALL_TIME, wallTimeS);
  if (step !== 0) event.varint(EVENT_STEP, step);
  return event.message(EVENT_SUMMARY, summary).finish();
}

/**
 * The x axis of a result: `timesteps_total` when the trainable reports a
 * positive integer one (as Ray Tune does), else `training_iteration`.
 */
export function resultStep(result: Result): number {
  const steps = result.timesteps_total;
  if (typeof steps === "number" && Number.isSafeInteger(steps) && steps > 0) return steps;
  const iteration = result.training_iteration;
  return typeof iteration === "number" && Number.isSafeInteger(iteration) ? iteration : 0;
}

/**
 * The scalars TensorBoard charts for a result: every number or boolean,
 * nested objects flattened with `/`, tags `<prefix>/<key>`. NaN is left out
 * (it would break the chart's scale); strings, arrays and null are not scalars.
 */
export function resultScalars(result: Result, prefix = DEFAULT_TAG_PREFIX): { tag: string; simpleValue: number }[] {
  const out: { tag: string; simpleValue: number }[] = [];
  const head = prefix === "" ? "" : prefix + "/";
  const walk = (obj: Record<string, unknown>, path: string): void => {
    for (const key in obj) {
      if (path === "" && SKIPPED_KEYS.has(key)) continue;
      const value = obj[key];
      let n: number;
      if (typeof value === "number") n = value;
      else if (typeof value === "boolean") n = value ? 1 : 0;
      else {
        if (typeof value === "object" && value !== null && !Array.isArray(value)) walk(value as Record<string, unknown>, path + key + "/");
        continue;
      }
      if (!Number.isNaN(n)) out.push({ tag: cachedTag(head + path + key), simpleValue: n });
    }
  };
  walk(result, "");
  return out;
}

// Results repeat the same keys every iteration: clean each tag once (bounded, in case keys are generated).
const TAG_CACHE = new Map<string, string>();

function cachedTag(raw: string): string {
  let tag = TAG_CACHE.get(raw);
  if (tag === undefined) {
    tag = cleanTag(raw);
    if (TAG_CACHE.size >= 10_000) TAG_CACHE.clear();
    TAG_CACHE.set(raw, tag);
  }
  return tag;
}

/** TensorBoard tags keep letters, digits, `_-/.`; anything else becomes `_`, and leading slashes go (as tensorboardX does). */
export function cleanTag(tag: string): string {
  return tag.replace(/[^-/\p{L}\p{N}_.]/gu, "_").replace(/^\/+/, "");
}
