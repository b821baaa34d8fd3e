"""Tunelab's TensorBoard event files, read back by code that shares nothing with the writer.

The TypeScript writer (src/engine/loggers) writes two trials' event files
through a real `node` process; this test decodes them with
  1. a stdlib-only TFRecord + protobuf wire-format reader written from the
     specs (bit-by-bit CRC-32C, not the writer's table), always;
  2. the real `google.protobuf` runtime with Event/Summary/HParams messages
     declared from TensorBoard's .proto field numbers, when an interpreter
     with it is found (Debian: `apt-get install python3-protobuf`);
  3. TensorBoard's own EventAccumulator, when `tensorboard` is importable
     (Debian bookworm does not package it, so this one usually skips).

Run: python3 -m unittest discover -s test/python
"""

import glob
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT_S = 60
BASE_MS = 1_700_000_000_000

# Inputs to the writer. NaN/inf travel as {"$num": ...} because JSON has no token for them.
TRIALS = {
    "t_00000": {
        "results": [
            {"training_iteration": 1, "loss": 0.5, "acc": 0, "nested": {"a": 2, "b": {"c": -1.25}}, "done": False,
             "config": {"lr": 0.1}, "pid": 42, "timestamp": 1700000000, "time_total_s": 1.5, "note": "text", "odd key!": 7},
            {"training_iteration": 2, "loss": 0.1, "acc": 0.75, "nested": {"a": 3, "b": {"c": 0.0}}, "done": True,
             "nan_metric": {"$num": "NaN"}, "big": {"$num": "Infinity"}},
        ],
        "ending": {"config": {"lr": 0.1, "opt": "sgd", "flag": True, "layers": [1, 2], "model": {"width": 64}}, "failed": False},
    },
    "t_00001": {
        "results": [
            {"training_iteration": 1, "timesteps_total": 5000, "reward": -3.5},
            {"training_iteration": 2, "timesteps_total": 10000, "reward": 12.0},
        ],
        "ending": {"config": {"gamma": 0.99}, "failed": True},
    },
}

SKIPPED = {"config", "pid", "timestamp", "time_total_s", "training_iteration"}

WRITE_SCRIPT = r"""
const [root, outDir, input] = process.argv.slice(1);
const { TensorBoardWriters } = await import(root + "/src/engine/loggers/tensorboard.ts");
const revive = (_k, v) => (v && typeof v === "object" && "$num" in v ? Number(v.$num) : v);
const trials = JSON.parse(input, revive);
let ms = %d;
const writers = new TensorBoardWriters({ clock: { now: () => (ms += 250) }, hostname: "testhost" }, (m) => { throw new Error(m); });
for (const [id, t] of Object.entries(trials)) {
  writers.open(id, outDir + "/" + id);
  for (const r of t.results) { writers.append(id, r); writers.flushAll(); }
  writers.close(id, t.ending);
}
writers.closeAll();
""" % BASE_MS


def write_trials(out_dir):
    """Runs the TypeScript writer over TRIALS in a real node process; its stderr is the failure message."""
    node = shutil.which("node")
    if node is None:
        raise unittest.SkipTest("node is not on PATH: the TypeScript writer cannot run")
    run = subprocess.run([node, "--import", "tsx", "--input-type=module", "-e", WRITE_SCRIPT, ROOT, out_dir, json.dumps(TRIALS)],
                         cwd=ROOT, timeout=TIMEOUT_S, capture_output=True, text=True)
    if run.returncode != 0:
        raise AssertionError("the TensorBoard writer failed:\n" + run.stderr)


def expected_scalars(result, prefix="ray/tune"):
    """What the writer should chart for a result: numbers and booleans, flattened, NaN left out."""
    out = {}

    def walk(value, path):
        for key, v in value.items():
            if not path and key in SKIPPED:
                continue
            name = path + key
            if isinstance(v, dict) and "$num" not in v:
                walk(v, name + "/")
            elif isinstance(v, dict):
                number = float(v["$num"])
                if not math.isnan(number):
                    out[clean_tag(prefix + "/" + name)] = number
            elif isinstance(v, bool):
                out[clean_tag(prefix + "/" + name)] = 1.0 if v else 0.0
            elif isinstance(v, (int, float)):
                out[clean_tag(prefix + "/" + name)] = float(v)

    walk(result, "")
    return out


def clean_tag(tag):
    return "".join(c if c.isalnum() or c in "-/_." else "_" for c in tag).lstrip("/")


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def expected_step(result):
    steps = result.get("timesteps_total")
    if isinstance(steps, int) and steps > 0:
        return steps
    return result["training_iteration"]


# --- 1. stdlib reader -------------------------------------------------------------------------

def crc32c_bitwise(data):
    """CRC-32C computed bit by bit from the polynomial (no table), independent of the writer."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    with open(path, "rb") as f:
        data = f.read()
    records, off = [], 0
    while off < len(data):
        header = data[off:off + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[off + 8:off + 12])
        if length_crc != masked(crc32c_bitwise(header)):
            raise AssertionError("%s@%d: bad length CRC" % (path, off))
        payload = data[off + 12:off + 12 + length]
        (data_crc,) = struct.unpack("<I", data[off + 12 + length:off + 16 + length])
        if data_crc != masked(crc32c_bitwise(payload)):
            raise AssertionError("%s@%d: bad data CRC" % (path, off))
        records.append(payload)
        off += 16 + length
    return records


def read_varint(buf, off):
    shift = value = 0
    while True:
        b = buf[off]
        off += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, off


def fields(buf):
    """Protobuf wire format as a list of (field number, wire type, raw value)."""
    out, off = [], 0
    while off < len(buf):
        key, off = read_varint(buf, off)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, off = read_varint(buf, off)
        elif wire == 1:
            value, off = buf[off:off + 8], off + 8
        elif wire == 5:
            value, off = buf[off:off + 4], off + 4
        elif wire == 2:
            length, off = read_varint(buf, off)
            value, off = buf[off:off + length], off + length
        else:
            raise AssertionError("unexpected wire type %d" % wire)
        out.append((number, wire, value))
    return out


def decode_event_stdlib(buf):
    event = {"wall_time": 0.0, "step": 0, "values": []}
    for number, wire, value in fields(buf):
        if number == 1 and wire == 1:
            event["wall_time"] = struct.unpack("<d", value)[0]
        elif number == 2 and wire == 0:
            event["step"] = value - (1 << 64) if value >= 1 << 63 else value
        elif number == 3 and wire == 2:
            event["file_version"] = value.decode("utf-8")
        elif number == 5 and wire == 2:
            for n, w, v in fields(value):
                assert n == 1 and w == 2, "Summary has only repeated field 1"
                item = {}
                for vn, vw, vv in fields(v):
                    if vn == 1:
                        item["tag"] = vv.decode("utf-8")
                    elif vn == 2 and vw == 5:
                        item["simple_value"] = struct.unpack("<f", vv)[0]
                    elif vn == 9:
                        plugin = dict((pn, pv) for pn, _, pv in fields(dict((mn, mv) for mn, _, mv in fields(vv))[1]))
                        item["plugin"] = plugin[1].decode("utf-8")
                        item["content"] = plugin.get(2, b"")
                event["values"].append(item)
        else:
            raise AssertionError("unexpected Event field %d" % number)
    return event


class WrittenTrials:
    """Mixin: the writer's files for TRIALS, made once per test class."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="tunelab-tb-")
        try:
            write_trials(cls.tmp)
        except BaseException:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise
        cls.files = {tid: sorted(glob.glob(os.path.join(cls.tmp, tid, "events.out.tfevents.*"))) for tid in TRIALS}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)


class StdlibReaderTest(WrittenTrials, unittest.TestCase):
    def events(self, trial_id):
        return [decode_event_stdlib(r) for r in read_records(self.files[trial_id][0])]

    def test_one_file_per_trial_named_as_tensorboard_names_them(self):
        for tid, files in self.files.items():
            self.assertEqual(len(files), 1, files)
            name = os.path.basename(files[0])
            prefix, seconds, host = name[:len("events.out.tfevents.")], name.split(".")[3], name.split(".", 4)[4]
            self.assertEqual(prefix, "events.out.tfevents.")
            self.assertEqual(len(seconds), 10)
            self.assertTrue(BASE_MS // 1000 <= int(seconds) <= BASE_MS // 1000 + 60)
            self.assertEqual(host, "testhost")

    def test_first_event_is_the_file_version(self):
        for tid in TRIALS:
            first = self.events(tid)[0]
            self.assertEqual(first["file_version"], "brain.Event:2")
            self.assertEqual(first["values"], [])

    def test_each_result_is_one_event_of_its_scalars_at_its_step(self):
        for tid, trial in TRIALS.items():
            scalar_events = [e for e in self.events(tid)[1:] if e["values"] and "simple_value" in e["values"][0]]
            self.assertEqual(len(scalar_events), len(trial["results"]))
            for event, result in zip(scalar_events, trial["results"]):
                self.assertEqual(event["step"], expected_step(result))
                got = {v["tag"]: v["simple_value"] for v in event["values"]}
                want = {tag: f32(v) for tag, v in expected_scalars(result).items()}
                self.assertEqual(got, want)

    def test_tags_follow_the_ray_tune_layout(self):
        tags = {v["tag"] for e in self.events("t_00000") for v in e["values"]}
        self.assertIn("ray/tune/nested/b/c", tags)
        self.assertIn("ray/tune/odd_key_", tags)
        self.assertIn("ray/tune/done", tags)
        self.assertFalse({"ray/tune/config/lr", "ray/tune/pid", "ray/tune/nan_metric", "ray/tune/note"} & tags)

    def test_wall_times_are_seconds_and_never_go_back(self):
        for tid in TRIALS:
            times = [e["wall_time"] for e in self.events(tid)]
            self.assertEqual(times, sorted(times))
            for t in times:
                self.assertTrue(BASE_MS / 1000 <= t <= BASE_MS / 1000 + 60, t)

    def test_a_finished_trial_ends_with_the_three_hparams_summaries(self):
        for tid, trial in TRIALS.items():
            tail = self.events(tid)[-3:]
            self.assertEqual([e["values"][0]["tag"] for e in tail],
                             ["_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"])
            self.assertTrue(all(e["values"][0]["plugin"] == "hparams" for e in tail))
            end = dict((n, v) for n, _, v in fields(tail[2]["values"][0]["content"]))
            status = dict((n, v) for n, _, v in fields(end[4]))[1]
            self.assertEqual(status, 2 if trial["ending"]["failed"] else 1)


# --- 2. google.protobuf ----------------------------------------------------------------------

def protobuf_decode(path):
    """Decodes an event file with google.protobuf; returns plain JSON-able data."""
    from google.protobuf import descriptor_pb2, descriptor_pool, json_format, struct_pb2
    try:
        from google.protobuf import message_factory
        get_class = getattr(message_factory, "GetMessageClass", None) or message_factory.MessageFactory().GetPrototype
    except ImportError:  # pragma: no cover
        raise

    F = descriptor_pb2.FieldDescriptorProto
    pool = descriptor_pool.DescriptorPool()
    pool.AddSerializedFile(struct_pb2.DESCRIPTOR.serialized_pb)
    fd = descriptor_pb2.FileDescriptorProto(name="tunelab_tb_test.proto", package="t", syntax="proto3",
                                            dependency=["google/protobuf/struct.proto"])

    def message(name, *specs, oneofs=()):
        m = fd.message_type.add(name=name)
        for o in oneofs:
            m.oneof_decl.add(name=o)
        for spec in specs:
            fname, number, ftype = spec[:3]
            label = F.LABEL_REPEATED if "repeated" in spec[3:] else F.LABEL_OPTIONAL
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            for extra in spec[3:]:
                if isinstance(extra, str) and extra.startswith("."):
                    f.type_name = extra
                elif isinstance(extra, int):
                    f.oneof_index = extra
        return m

    message("PluginData", ("plugin_name", 1, F.TYPE_STRING), ("content", 2, F.TYPE_BYTES))
    message("SummaryMetadata", ("plugin_data", 1, F.TYPE_MESSAGE, ".t.PluginData"))
    message("Value", ("tag", 1, F.TYPE_STRING), ("simple_value", 2, F.TYPE_FLOAT, 0),
            ("metadata", 9, F.TYPE_MESSAGE, ".t.SummaryMetadata"), oneofs=("value",))
    message("Summary", ("value", 1, F.TYPE_MESSAGE, ".t.Value", "repeated"))
    message("Event", ("wall_time", 1, F.TYPE_DOUBLE), ("step", 2, F.TYPE_INT64), ("file_version", 3, F.TYPE_STRING, 0),
            ("summary", 5, F.TYPE_MESSAGE, ".t.Summary", 0), oneofs=("what",))
    message("HParamInfo", ("name", 1, F.TYPE_STRING), ("type", 4, F.TYPE_INT32))
    message("MetricName", ("group", 1, F.TYPE_STRING), ("tag", 2, F.TYPE_STRING))
    message("MetricInfo", ("name", 1, F.TYPE_MESSAGE, ".t.MetricName"))
    message("Experiment", ("time_created_secs", 3, F.TYPE_DOUBLE), ("hparam_infos", 4, F.TYPE_MESSAGE, ".t.HParamInfo", "repeated"),
            ("metric_infos", 5, F.TYPE_MESSAGE, ".t.MetricInfo", "repeated"))
    entry = message("SessionStartInfo", ("hparams", 1, F.TYPE_MESSAGE, ".t.SessionStartInfo.HparamsEntry", "repeated"),
                    ("start_time_secs", 5, F.TYPE_DOUBLE))
    nested = entry.nested_type.add(name="HparamsEntry")
    nested.options.map_entry = True
    nested.field.add(name="key", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    nested.field.add(name="value", number=2, type=F.TYPE_MESSAGE, label=F.LABEL_OPTIONAL, type_name=".google.protobuf.Value")
    message("SessionEndInfo", ("status", 1, F.TYPE_INT32), ("end_time_secs", 2, F.TYPE_DOUBLE))
    message("HParamsPluginData", ("version", 1, F.TYPE_INT32), ("experiment", 2, F.TYPE_MESSAGE, ".t.Experiment", 0),
            ("session_start_info", 3, F.TYPE_MESSAGE, ".t.SessionStartInfo", 0),
            ("session_end_info", 4, F.TYPE_MESSAGE, ".t.SessionEndInfo", 0), oneofs=("data",))
    pool.Add(fd)
    cls = lambda name: get_class(pool.FindMessageTypeByName("t." + name))  # noqa: E731
    Event, PluginDataMsg = cls("Event"), cls("HParamsPluginData")

    out = []
    for record in read_records(path):
        event = Event()
        event.ParseFromString(record)
        item = json_format.MessageToDict(event, preserving_proto_field_name=True)
        item["kind"] = event.WhichOneof("what")
        for value, raw in zip(item.get("summary", {}).get("value", []), event.summary.value):
            if raw.HasField("metadata"):
                data = PluginDataMsg()
                data.ParseFromString(raw.metadata.plugin_data.content)
                value["hparams"] = json_format.MessageToDict(data, preserving_proto_field_name=True)
                value["hparams_kind"] = data.WhichOneof("data")
        out.append(item)
    return out


def protobuf_interpreter():
    """An interpreter with google.protobuf: this one, else Debian's /usr/bin/python3."""
    for candidate in (sys.executable, "/usr/bin/python3"):
        if candidate and os.path.exists(candidate):
            probe = subprocess.run([candidate, "-c", "import google.protobuf"], capture_output=True, timeout=TIMEOUT_S)
            if probe.returncode == 0:
                return candidate
    return None


class ProtobufReaderTest(WrittenTrials, unittest.TestCase):
    """The same files through the real protobuf runtime."""

    @classmethod
    def setUpClass(cls):
        cls.interpreter = protobuf_interpreter()
        if cls.interpreter is None:
            raise unittest.SkipTest("google.protobuf is not installed (Debian: apt-get install python3-protobuf)")
        super().setUpClass()

    def decoded(self, trial_id):
        run = subprocess.run([self.interpreter, os.path.abspath(__file__), "--protobuf-decode", self.files[trial_id][0]],
                             capture_output=True, text=True, timeout=TIMEOUT_S)
        self.assertEqual(run.returncode, 0, run.stderr)
        return json.loads(run.stdout)

    def test_protobuf_parses_every_event_as_written(self):
        for tid, trial in TRIALS.items():
            events = self.decoded(tid)
            self.assertEqual(events[0]["kind"], "file_version")
            self.assertEqual(events[0]["file_version"], "brain.Event:2")
            scalars = [e for e in events[1:] if "simple_value" in e["summary"]["value"][0]]
            for event, result in zip(scalars, trial["results"]):
                self.assertEqual(int(event.get("step", 0)), expected_step(result))
                got = {v["tag"]: v["simple_value"] for v in event["summary"]["value"]}
                want = {tag: f32(v) for tag, v in expected_scalars(result).items()}
                for tag, value in want.items():  # MessageToDict prints float32s short ("0.1") and inf as "Infinity"
                    self.assertEqual(f32(float(got[tag])), value, tag)
                self.assertEqual(set(got), set(want))

    def test_hparams_summaries_carry_config_metrics_and_status(self):
        for tid, trial in TRIALS.items():
            tail = [e["summary"]["value"][0] for e in self.decoded(tid)[-3:]]
            self.assertEqual([v["hparams_kind"] for v in tail], ["experiment", "session_start_info", "session_end_info"])
            experiment, start, end = (v["hparams"][v["hparams_kind"]] for v in tail)
            last_tags = set(expected_scalars(trial["results"][-1]))
            self.assertEqual({m["name"]["tag"] for m in experiment["metric_infos"]}, last_tags)
            config = trial["ending"]["config"]
            if tid == "t_00000":
                self.assertEqual(start["hparams"], {"lr": 0.1, "opt": "sgd", "flag": True, "layers": "[1,2]", "model/width": 64})
                types = {h["name"]: h["type"] for h in experiment["hparam_infos"]}
                self.assertEqual(types, {"lr": 3, "opt": 1, "flag": 2, "layers": 1, "model/width": 3})
            else:
                self.assertEqual(start["hparams"], config)
            self.assertEqual(end["status"], 2 if trial["ending"]["failed"] else 1)
            self.assertLessEqual(start["start_time_secs"], end["end_time_secs"])


# --- 3. TensorBoard itself --------------------------------------------------------------------

class TensorBoardAccumulatorTest(unittest.TestCase):
    def test_event_accumulator_reads_our_scalars(self):
        try:
            from tensorboard.backend.event_processing import event_accumulator
        except ImportError:
            self.skipTest("tensorboard is not importable here (Debian bookworm has no python3-tensorboard package)")
        tmp = tempfile.mkdtemp(prefix="tunelab-tb-")
        self.addCleanup(shutil.rmtree, tmp, True)
        write_trials(tmp)
        acc = event_accumulator.EventAccumulator(os.path.join(tmp, "t_00000"))
        acc.Reload()
        loss = acc.Scalars("ray/tune/loss")
        self.assertEqual([(s.step, s.value) for s in loss], [(1, f32(0.5)), (2, f32(0.1))])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--protobuf-decode":
        json.dump(protobuf_decode(sys.argv[2]), sys.stdout)
    else:
        unittest.main()
