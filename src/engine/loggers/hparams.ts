/**
 * Summaries for TensorBoard's HParams dashboard (plugins/hparams/api.proto,
 * plugin_data.proto): at a trial's end, its flattened config as
 * hyperparameters and its last scalars as metrics, in the three summaries
 * Ray Tune writes per trial dir (experiment, session start, session end).
 */
import { flattenResult } from "../store/trial-files.ts";
import type { TrialConfig } from "../interfaces.ts";
import { ProtoWriter } from "./protobuf.ts";
import { summaryEvent } from "./tfevents.ts";

export const HPARAMS_PLUGIN = "hparams";
export const EXPERIMENT_TAG = "_hparams_/experiment";
export const SESSION_START_TAG = "_hparams_/session_start_info";
export const SESSION_END_TAG = "_hparams_/session_end_info";

// DataType and Status enums (api.proto).
const DATA_TYPE_STRING = 1;
const DATA_TYPE_BOOL = 2;
const DATA_TYPE_FLOAT64 = 3;
const STATUS_SUCCESS = 1;
const STATUS_FAILURE = 2;

type HParam = { name: string; type: number; value: ProtoWriter };

/**
 * A config's hyperparameters as google.protobuf.Values: numbers, booleans and
 * strings as themselves, arrays as their JSON text (the dashboard shows only
 * scalars), null and non-finite numbers left out.
 */
export function hparamsOf(config: TrialConfig): HParam[] {
  const out: HParam[] = [];
  for (const [name, v] of flattenResult(config)) {
    // google.protobuf.Value: number_value = 2, string_value = 3, bool_value = 4 (a oneof: written even when 0/false).
    if (typeof v === "number" && Number.isFinite(v)) out.push({ name, type: DATA_TYPE_FLOAT64, value: new ProtoWriter().double(2, v) });
    else if (typeof v === "boolean") out.push({ name, type: DATA_TYPE_BOOL, value: new ProtoWriter().varint(4, v ? 1 : 0) });
    else if (typeof v === "string") out.push({ name, type: DATA_TYPE_STRING, value: new ProtoWriter().string(3, v) });
    else if (Array.isArray(v)) out.push({ name, type: DATA_TYPE_STRING, value: new ProtoWriter().string(3, JSON.stringify(v)) });
  }
  return out;
}

export interface HParamsSession {
  config: TrialConfig;
  /** Tags of the scalars to show as metrics (the trial's last result's). */
  metricTags: readonly string[];
  failed: boolean;
  startTimeS: number;
  endTimeS: number;
}

/** The three events (experiment, session start, session end) that put one trial in the HParams dashboard. */
export function hparamsEvents(session: HParamsSession): Uint8Array[] {
  const hparams = hparamsOf(session.config);
  const experiment = new ProtoWriter().double(3, session.startTimeS); // time_created_secs
  for (const h of hparams) experiment.message(4, new ProtoWriter().string(1, h.name).varint(4, h.type)); // hparam_infos {name, type}
  for (const tag of session.metricTags) experiment.message(5, new ProtoWriter().message(1, new ProtoWriter().string(2, tag))); // metric_infos {name {tag}}
  const start = new ProtoWriter();
  for (const h of hparams) start.message(1, new ProtoWriter().string(1, h.name).message(2, h.value)); // map<string, Value> entry {key, value}
  start.double(5, session.startTimeS);
  const end = new ProtoWriter().varint(1, session.failed ? STATUS_FAILURE : STATUS_SUCCESS).double(2, session.endTimeS);
  // HParamsPluginData: version = 1 (0, left out), experiment = 2, session_start_info = 3, session_end_info = 4.
  const plugin = (field: number, body: ProtoWriter): { name: string; content: Uint8Array } =>
    ({ name: HPARAMS_PLUGIN, content: new ProtoWriter().message(field, body).finish() });
  return [
    summaryEvent(session.endTimeS, 0, [{ tag: EXPERIMENT_TAG, plugin: plugin(2, experiment) }]),
    summaryEvent(session.endTimeS, 0, [{ tag: SESSION_START_TAG, plugin: plugin(3, start) }]),
    summaryEvent(session.endTimeS, 0, [{ tag: SESSION_END_TAG, plugin: plugin(4, end) }]),
  ];
}
