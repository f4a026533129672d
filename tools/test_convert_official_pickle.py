#!/usr/bin/env python3
"""Tests for tools/convert_official_pickle.py (python3 + NumPy only).

The tests build network pickles in the official StyleGAN v1 layout without dnnlib or
TensorFlow: fake modules `dnnlib`, `dnnlib.tflib`, `dnnlib.tflib.network` are put into
sys.modules just long enough to pickle objects of a `Network` class whose __getstate__
returns the official state dict (version 3, name, static_kwargs, components,
build_module_src, build_func_name, variables in the official creation order with raw
values in TensorFlow layouts, `lod` as a NumPy scalar). The fake modules are removed again
before anything is converted, so the converter has to cope without them, as it would on a
machine without the official code.

Tiny model: resolution 16, latent/dlatent 8, mapping_fmaps 8, 8 mapping layers,
fmap_base 32, fmap_max 8 (channels nf(0..3) = 8, 8, 8, 4).

Run:  python3 tools/test_convert_official_pickle.py [unittest options] [--emit DIR]

With --emit DIR the converted file of the tiny model (networks G, D, Gs) is also left in
DIR as converted.safetensors, plus expected.json ({"config": ..., "tensors": {name:
{"shape": [...], "first": [4 values]}}}) for the Swift-side test
(Tests/ModelTests/ConverterTests.swift). Exit status 0 when all tests pass.
"""

import contextlib
import json
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import types
import unittest

import numpy as np

TOOLS = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(TOOLS, "convert_official_pickle.py")
sys.path.insert(0, TOOLS)
import convert_official_pickle as conv  # noqa: E402

FAKE_MODULES = ("dnnlib", "dnnlib.tflib", "dnnlib.tflib.network")

# --------------------------------------------------------------------------------------
# Building official-layout network states
# --------------------------------------------------------------------------------------

TINY = dict(resolution=16, num_channels=3, latent_size=8, dlatent_size=8, mapping_fmaps=8,
            mapping_layers=8, fmap_base=32, fmap_max=8, mapping_lrmul=0.01)

TINY_CONFIG = {
    "resolution": 16, "numChannels": 3, "latentSize": 8, "dlatentSize": 8, "mappingFmaps": 8,
    "mappingLayers": 8, "mappingLRMul": 0.01, "fmapBase": 32, "fmapDecay": 1.0, "fmapMax": 8,
    "mbstdGroupSize": 4, "truncationPsi": 0.7, "truncationCutoff": 8, "dlatentAvgBeta": 0.995,
    "styleMixingProb": 0.9,
}


def nf(spec, stage):
    return min(int(spec["fmap_base"] / 2.0 ** stage), spec["fmap_max"])


def state(name, func, static_kwargs, variables, components=None, version=3):
    """The dict the official Network.__getstate__ returns."""
    return {
        "version": version,
        "name": name,
        "static_kwargs": dict(static_kwargs),
        "components": dict(components or {}),
        "build_module_src": "# networks_stylegan.py would be here; it must never run\nraise SystemExit('executed!')\n",
        "build_func_name": func,
        "variables": list(variables),
    }


class Values:
    """Deterministic random raw values (float32)."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)

    def __call__(self, shape, std=1.0):
        return (self.rng.randn(*shape) * std).astype(np.float32)


def mapping_state(spec, v, kwargs):
    variables = []
    for i in range(spec["mapping_layers"]):
        fin = spec["latent_size"] if i == 0 else spec["mapping_fmaps"]
        fout = spec["dlatent_size"] if i == spec["mapping_layers"] - 1 else spec["mapping_fmaps"]
        variables.append(("Dense%d/weight" % i, v([fin, fout], 1 / spec["mapping_lrmul"])))  # raw: N(0, 1/lrmul²)
        variables.append(("Dense%d/bias" % i, v([fout], 10.0)))
    return state("G_mapping", "G_mapping", kwargs, variables)


def synthesis_state(spec, v, kwargs, noise_maps=None):
    L = int(np.log2(spec["resolution"]))
    d, nc = spec["dlatent_size"], spec["num_channels"]
    variables = [("lod", np.float32(0.0))]
    layers = 2 * L - 2 if noise_maps is None else noise_maps
    for layer in range(layers):
        s = 2 ** (layer // 2 + 2)
        variables.append(("noise%d" % layer, v([1, 1, s, s])))

    def epilogue(scope, c):
        variables.extend([("%s/Noise/weight" % scope, v([c], 0.5)), ("%s/bias" % scope, v([c], 0.5)),
                          ("%s/StyleMod/weight" % scope, v([d, 2 * c])), ("%s/StyleMod/bias" % scope, v([2 * c], 0.3))])

    def torgb(r, c):
        variables.extend([("ToRGB_lod%d/weight" % (L - r), v([1, 1, c, nc])), ("ToRGB_lod%d/bias" % (L - r), v([nc], 0.3))])

    c = nf(spec, 1)
    variables.append(("4x4/Const/const", v([1, c, 4, 4])))
    epilogue("4x4/Const", c)
    variables.append(("4x4/Conv/weight", v([3, 3, c, c])))
    epilogue("4x4/Conv", c)
    torgb(2, c)
    for r in range(3, L + 1):
        res = "%dx%d" % (2 ** r, 2 ** r)
        cin, c = nf(spec, r - 2), nf(spec, r - 1)
        variables.append(("%s/Conv0_up/weight" % res, v([3, 3, cin, c])))
        epilogue(res + "/Conv0_up", c)
        variables.append(("%s/Conv1/weight" % res, v([3, 3, c, c])))
        epilogue(res + "/Conv1", c)
        torgb(r, c)
    return state("G_synthesis", "G_synthesis", kwargs, variables)


def generator_state(name, spec, seed, rich_kwargs=False, noise_maps=None):
    v = Values(seed)
    L = int(np.log2(spec["resolution"]))
    base = {"num_channels": spec["num_channels"], "resolution": spec["resolution"], "label_size": 0}
    if rich_kwargs:
        base.update(latent_size=spec["latent_size"], dlatent_size=spec["dlatent_size"], mapping_fmaps=spec["mapping_fmaps"],
                    mapping_layers=spec["mapping_layers"], fmap_base=spec["fmap_base"], fmap_max=spec["fmap_max"],
                    mapping_lrmul=spec["mapping_lrmul"])
    synthesis = synthesis_state(spec, v, base, noise_maps)
    mapping = mapping_state(spec, v, dict(base, dlatent_broadcast=2 * L - 2))
    own = [("lod", np.float32(0.0)), ("dlatent_avg", v([spec["dlatent_size"]]))]
    return state(name, "G_style", base, own, {"synthesis": synthesis, "mapping": mapping})


def discriminator_state(spec, seed, rich_kwargs=False):
    v = Values(seed)
    L = int(np.log2(spec["resolution"]))
    nc = spec["num_channels"]
    kwargs = {"num_channels": nc, "resolution": spec["resolution"], "label_size": 0}
    if rich_kwargs:
        kwargs.update(fmap_base=spec["fmap_base"], fmap_max=spec["fmap_max"], mbstd_group_size=4)
    variables = [("lod", np.float32(0.0))]

    def fromrgb(r):
        c = nf(spec, r - 1)
        variables.extend([("FromRGB_lod%d/weight" % (L - r), v([1, 1, nc, c])), ("FromRGB_lod%d/bias" % (L - r), v([c], 0.3))])

    fromrgb(L)
    for r in range(L, 2, -1):
        res = "%dx%d" % (2 ** r, 2 ** r)
        c, cout = nf(spec, r - 1), nf(spec, r - 2)
        variables.extend([("%s/Conv0/weight" % res, v([3, 3, c, c])), ("%s/Conv0/bias" % res, v([c], 0.3)),
                          ("%s/Conv1_down/weight" % res, v([3, 3, c, cout])), ("%s/Conv1_down/bias" % res, v([cout], 0.3))])
        fromrgb(r - 1)
    c1, c0 = nf(spec, 1), nf(spec, 0)
    variables.extend([("4x4/Conv/weight", v([3, 3, c1 + 1, c1])), ("4x4/Conv/bias", v([c1], 0.3)),
                      ("4x4/Dense0/weight", v([c1 * 16, c0])), ("4x4/Dense0/bias", v([c0], 0.3)),
                      ("4x4/Dense1/weight", v([c0, 1])), ("4x4/Dense1/bias", v([1], 0.3))])
    return state("D", "D_basic", kwargs, variables)


def tiny_model(seed=1, rich_kwargs=False, spec=TINY):
    """(G, D, Gs) as nested state dicts."""
    return [generator_state("G", spec, seed, rich_kwargs),
            discriminator_state(spec, seed + 1, rich_kwargs),
            generator_state("Gs", spec, seed + 2, rich_kwargs)]


def flatten(st, prefix=""):
    out = {}
    for name, value in st["variables"]:
        out[prefix + name] = value
    for key, comp in st["components"].items():
        out.update(flatten(comp, prefix + key + "/"))
    return out


def expected_tensors(model, roles=("G", "D", "Gs")):
    """{file name: array} the converter should write (lod dropped)."""
    out = {}
    for role, st in zip(("G", "D", "Gs"), model):
        if role in roles:
            for name, value in flatten(st).items():
                if name.rsplit("/", 1)[-1] != "lod":
                    out["%s/%s" % (role, name)] = np.asarray(value)
    return out


@contextlib.contextmanager
def fake_dnnlib():
    """Registers dnnlib.tflib.network.Network (pickles as that global) for the block."""
    assert not any(m in sys.modules for m in FAKE_MODULES), "a real dnnlib is imported"
    modules = {name: types.ModuleType(name) for name in FAKE_MODULES}

    class Network:
        def __init__(self, st):
            self._state = st

        def __getstate__(self):
            return self._state

    Network.__module__ = "dnnlib.tflib.network"
    Network.__qualname__ = Network.__name__ = "Network"
    modules["dnnlib.tflib.network"].Network = Network
    modules["dnnlib"].tflib = modules["dnnlib.tflib"]
    modules["dnnlib.tflib"].network = modules["dnnlib.tflib.network"]
    sys.modules.update(modules)
    try:
        yield Network
    finally:
        for name in FAKE_MODULES:
            sys.modules.pop(name, None)


def dumps_official(model, protocol):
    """Pickles (G, D, Gs) the way the official code does (Network objects)."""
    with fake_dnnlib() as Network:
        def wrap(st):
            st = dict(st)
            st["components"] = {k: wrap(c) for k, c in st["components"].items()}
            return Network(st)
        data = pickle.dumps(tuple(wrap(st) for st in model), protocol=protocol)
    assert not any(m in sys.modules for m in FAKE_MODULES)
    return data


# --------------------------------------------------------------------------------------
# An independent safetensors reader
# --------------------------------------------------------------------------------------

def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    if n % 8 != 0:
        raise AssertionError("header length %d is not a multiple of 8" % n)
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__")
    buffer = data[8 + n:]
    tensors, dtypes, position = {}, set(), 0
    for name in sorted(header):                            # contiguous in sorted-name order
        entry = header[name]
        begin, end = entry["data_offsets"]
        if begin != position:
            raise AssertionError("%s starts at %d, expected %d" % (name, begin, position))
        np_dtype = {"F32": "<f4", "F16": "<f2"}[entry["dtype"]]
        dtypes.add(entry["dtype"])
        count = int(np.prod(entry["shape"], dtype=np.int64))
        if end - begin != count * np.dtype(np_dtype).itemsize:
            raise AssertionError("%s: byte range does not match its shape" % name)
        tensors[name] = np.frombuffer(buffer[begin:end], dtype=np_dtype).reshape(entry["shape"])
        position = end
    if position != len(buffer):
        raise AssertionError("%d trailing bytes" % (len(buffer) - position))
    return tensors, metadata, dtypes


# --------------------------------------------------------------------------------------
# Hostile payloads
# --------------------------------------------------------------------------------------

class SystemPayload:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class PopenPayload:
    def __init__(self, argv):
        self.argv = argv

    def __reduce__(self):
        return (subprocess.Popen, (self.argv,))


class EvalPayload:
    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (eval, (self.code,))


class CodecPayload:
    def __reduce__(self):
        import codecs
        return (codecs.encode, ("x" * 10, "zlib_codec"))


# --------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------

def run_cli(*args):
    return subprocess.run([sys.executable, CONVERTER] + [str(a) for a in args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120)


class ConverterTestCase(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory(prefix="convert-pickle-test-")
        self.dir = self._dir.name

    def tearDown(self):
        self._dir.cleanup()

    def path(self, name):
        return os.path.join(self.dir, name)

    def write_pickle(self, model, protocol=4, name="model.pkl"):
        path = self.path(name)
        with open(path, "wb") as f:
            f.write(dumps_official(model, protocol))
        return path

    def convert_quietly(self, src, dst, **kwargs):
        lines = []
        summary = conv.convert(src, dst, log=lines.append, **kwargs)
        return summary, lines

    def assert_refused(self, src, fragment, out_name="out.safetensors"):
        """The CLI fails with a one-line error containing `fragment` and leaves no output."""
        out = self.path(out_name)
        before = set(os.listdir(self.dir))
        result = run_cli(src, out, "--networks", "G,D,Gs")
        self.assertNotEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn(fragment, result.stderr)
        self.assertTrue(result.stderr.startswith("error: "), result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, "expected a one-line error: %r" % result.stderr)
        self.assertNotIn("Traceback", result.stderr)
        self.assertFalse(os.path.exists(out), "output file left behind")
        self.assertEqual(set(os.listdir(self.dir)), before, "temporary files left behind")
        return result.stderr


class RoundTripTests(ConverterTestCase):
    def check_round_trip(self, protocol, rich_kwargs):
        model = tiny_model(seed=10 + protocol, rich_kwargs=rich_kwargs)
        src = self.write_pickle(model, protocol)
        self.assertFalse(any(m in sys.modules for m in FAKE_MODULES))
        out = self.path("out.safetensors")
        summary, lines = self.convert_quietly(src, out, networks=["G", "D", "Gs"])
        self.assertFalse(any(m in sys.modules for m in FAKE_MODULES), "converter imported dnnlib")

        tensors, metadata, dtypes = read_safetensors(out)
        expected = expected_tensors(model)
        self.assertEqual(sorted(tensors), sorted(expected))
        self.assertEqual(dtypes, {"F32"})
        for name, value in expected.items():
            self.assertEqual(tensors[name].shape, value.shape, name)
            self.assertTrue(np.array_equal(tensors[name], value), name)
            self.assertEqual(tensors[name].tobytes(), value.astype("<f4").tobytes(), name)
        self.assertEqual(metadata["format"], "stylegan-swift")
        self.assertEqual(json.loads(metadata["config"]), TINY_CONFIG)
        self.assertEqual(metadata["source"], "model.pkl")
        self.assertEqual(summary["config"], TINY_CONFIG)
        self.assertFalse(any(n.endswith("/lod") for n in tensors))
        # Some spot checks of the naming scheme.
        for name in ("Gs/mapping/Dense0/weight", "Gs/synthesis/4x4/Const/const", "Gs/synthesis/noise0",
                     "Gs/synthesis/noise5", "Gs/dlatent_avg", "D/FromRGB_lod0/weight", "G/synthesis/16x16/Conv1/weight"):
            self.assertIn(name, tensors)
        self.assertEqual(tensors["Gs/synthesis/16x16/Conv0_up/weight"].shape, (3, 3, 8, 4))
        self.assertEqual(tensors["D/4x4/Conv/weight"].shape, (3, 3, 9, 8))
        self.assertEqual(tensors["D/4x4/Dense0/weight"].shape, (128, 8))
        text = "\n".join(lines)
        self.assertIn("tensors written: %d" % len(expected), text)
        self.assertIn("trainable parameters", text)
        return tensors

    def test_protocol_2_minimal_kwargs(self):
        self.check_round_trip(2, rich_kwargs=False)

    def test_protocol_4_minimal_kwargs(self):
        self.check_round_trip(4, rich_kwargs=False)

    def test_protocol_4_with_static_kwargs(self):
        self.check_round_trip(4, rich_kwargs=True)

    def test_protocols_0_and_5(self):
        self.check_round_trip(0, rich_kwargs=False)          # copyreg._reconstructor path
        self.check_round_trip(5, rich_kwargs=True)           # numpy _frombuffer path

    def test_default_is_gs_only_via_cli(self):
        model = tiny_model(seed=3)
        src = self.write_pickle(model, 2)
        out = self.path("gs.safetensors")
        result = run_cli(src, out)
        self.assertEqual(result.returncode, 0, result.stderr)
        tensors, metadata, _ = read_safetensors(out)
        self.assertEqual(sorted(tensors), sorted(expected_tensors(model, roles=("Gs",))))
        self.assertTrue(all(n.startswith("Gs/") for n in tensors))
        self.assertIn("Gs", result.stdout)
        self.assertIn("config:", result.stdout)
        self.assertEqual(json.loads(metadata["config"]), TINY_CONFIG)
        # Trainable count: everything but noise maps and dlatent_avg.
        trainable = sum(v.size for n, v in expected_tensors(model, ("Gs",)).items()
                        if n != "Gs/dlatent_avg" and not n.rsplit("/", 1)[-1].startswith("noise"))
        self.assertIn(format(trainable, ","), result.stdout)

    def test_gs_and_d_selection(self):
        model = tiny_model(seed=4)
        src = self.write_pickle(model, 4)
        out = self.path("gsd.safetensors")
        self.convert_quietly(src, out, networks=conv.parse_networks("Gs,D"))
        tensors, _, _ = read_safetensors(out)
        self.assertEqual(sorted(tensors), sorted(expected_tensors(model, roles=("Gs", "D"))))

    def test_fp16(self):
        model = tiny_model(seed=5)
        src = self.write_pickle(model, 4)
        out = self.path("half.safetensors")
        result = run_cli(src, out, "--networks", "G,D,Gs", "--fp16")
        self.assertEqual(result.returncode, 0, result.stderr)
        tensors, metadata, dtypes = read_safetensors(out)
        self.assertEqual(dtypes, {"F16"})
        expected = expected_tensors(model)
        self.assertEqual(sorted(tensors), sorted(expected))
        for name, value in expected.items():
            self.assertEqual(tensors[name].tobytes(), value.astype("<f2").tobytes(), name)
        self.assertEqual(json.loads(metadata["config"]), TINY_CONFIG)

    def test_output_replaced_atomically(self):
        model = tiny_model(seed=6)
        src = self.write_pickle(model, 4)
        out = self.path("out.safetensors")
        with open(out, "wb") as f:
            f.write(b"old contents")
        self.convert_quietly(src, out)
        read_safetensors(out)
        self.assertEqual(sorted(os.listdir(self.dir)), ["model.pkl", "out.safetensors"])


class InferenceTests(unittest.TestCase):
    def test_ffhq_channels_give_official_fmaps(self):
        channels = {s: min(int(8192 / 2 ** s), 512) for s in range(0, 10)}
        self.assertEqual(conv.infer_fmaps(channels, {}), (8192, 1.0, 512))
        channels = {s: min(int(8192 / 2 ** s), 512) for s in range(1, 6)}   # 64 px model
        self.assertEqual(conv.infer_fmaps(channels, {}), (8192, 1.0, 512))
        channels = {s: 512 for s in range(1, 5)}                           # 32 px: all capped
        self.assertEqual(conv.infer_fmaps(channels, {}), (8192, 1.0, 512))
        self.assertEqual(conv.infer_fmaps({1: 8, 2: 8, 3: 4}, {}), (32, 1.0, 8))
        with self.assertRaises(conv.ConversionError):
            conv.infer_fmaps({1: 8, 2: 2, 3: 4}, {})

    def test_official_ffhq_parameter_counts(self):
        """The expected-shape tables reproduce reference §9.1 (Gs 26,219,627; D 23,087,249)."""
        config = dict(TINY_CONFIG, resolution=1024, latentSize=512, dlatentSize=512, mappingFmaps=512,
                      fmapBase=8192, fmapMax=512)
        g = conv.expected_generator(config)
        trainable = sum(int(np.prod(s)) for n, s in g.items() if conv.is_trainable("Gs", n))
        self.assertEqual(trainable, 26219627)
        self.assertEqual(len([n for n in g if n.startswith("synthesis/noise")]), 18)
        self.assertEqual(sum(int(np.prod(s)) for n, s in g.items() if n.startswith("synthesis/noise")), 2796193 - 1)
        d = conv.expected_discriminator(config)
        self.assertEqual(sum(int(np.prod(s)) for s in d.values()), 23087249)
        self.assertEqual(g["synthesis/1024x1024/Conv0_up/weight"], (3, 3, 32, 16))
        self.assertEqual(d["FromRGB_lod0/weight"], (1, 1, 3, 16))
        self.assertEqual(d["4x4/Conv/weight"], (3, 3, 513, 512))


class HostileAndBrokenInputTests(ConverterTestCase):
    def test_os_system_payload_is_refused_and_not_run(self):
        marker = self.path("pwned")
        # Control: an unrestricted unpickler really would run this payload.
        control = self.path("control-pwned")
        pickle.loads(pickle.dumps(SystemPayload("touch %s" % control), protocol=2))
        self.assertTrue(os.path.exists(control), "control payload did not run")
        os.unlink(control)

        model = tiny_model(seed=7)
        model[1]["variables"].append(("4x4/Evil/weight", SystemPayload("touch %s" % marker)))
        for protocol in (2, 4):
            src = self.write_pickle(model, protocol, name="evil%d.pkl" % protocol)
            err = self.assert_refused(src, "refusing to unpickle %s.system" % os.system.__module__)
            self.assertIn("not part of a StyleGAN network pickle", err)
            self.assertFalse(os.path.exists(marker), "payload ran")
            with self.assertRaises(conv.ConversionError):
                conv.convert(src, self.path("x.safetensors"), log=lambda *_: None)
            self.assertFalse(os.path.exists(marker), "payload ran")

    def test_popen_in_static_kwargs_is_refused(self):
        marker = self.path("pwned")
        model = tiny_model(seed=8)
        model[2]["components"]["synthesis"]["static_kwargs"]["x"] = PopenPayload(["touch", marker])
        src = self.write_pickle(model, 4)
        self.assert_refused(src, "refusing to unpickle subprocess.Popen")
        self.assertFalse(os.path.exists(marker))

    def test_kwargs_cannot_multiply_an_array_into_gigabytes(self):
        # Found by adversarial testing: one array referenced 200,000 times in static_kwargs
        # made tolist() build 7.6 GB of Python floats from an 85 KB file.
        model = tiny_model(seed=10)
        big = np.zeros(1000, dtype=np.float32)
        model[2]["components"]["synthesis"]["static_kwargs"]["x"] = [big] * 5000
        src = self.write_pickle(model, 4, name="kwargs.pkl")
        self.assert_refused(src, "static_kwargs hold")

    def test_impossible_settings_give_one_line(self):
        model = tiny_model(seed=11)
        model[2]["static_kwargs"]["truncation_psi"] = 10 ** 400
        src = self.write_pickle(model, 4, name="huge.pkl")
        self.assert_refused(src, "huge.pkl")

    def test_only_regular_files_are_read_and_replaced(self):
        fifo = self.path("in.fifo")
        os.mkfifo(fifo)
        self.assert_refused(fifo, "not a regular file")
        src = self.write_pickle(tiny_model(seed=12), 4, name="ok.pkl")
        result = run_cli(src, "/dev/null")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("refusing to replace it", result.stderr)
        target, link = self.path("target.safetensors"), self.path("link.safetensors")
        os.symlink(target, link)
        self.assertEqual(run_cli(src, link).returncode, 0)
        self.assertTrue(os.path.islink(link) and os.path.isfile(target), "the link's target is written, the link stays")

    def test_eval_and_codec_gadgets_are_refused(self):
        marker = self.path("pwned")
        model = tiny_model(seed=9)
        model[0]["build_func_name"] = EvalPayload("__import__('os').system('touch %s')" % marker)
        src = self.write_pickle(model, 2, name="eval.pkl")
        self.assert_refused(src, "refusing to unpickle builtins.eval")
        self.assertFalse(os.path.exists(marker))
        model = tiny_model(seed=9)
        model[0]["name"] = CodecPayload()
        src = self.write_pickle(model, 2, name="codec.pkl")
        self.assert_refused(src, "refusing to unpickle _codecs.encode")

    def test_build_module_src_is_never_executed(self):
        marker = self.path("pwned")
        model = tiny_model(seed=11)
        for st in model:
            st["build_module_src"] = "open(%r, 'w').close()\n" % marker
        src = self.write_pickle(model, 4)
        self.convert_quietly(src, self.path("out.safetensors"), networks=["G", "D", "Gs"])
        self.assertFalse(os.path.exists(marker))

    def test_pytorch_style_global_is_refused(self):
        payload = (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00.")
        src = self.path("torch.pkl")
        with open(src, "wb") as f:
            f.write(payload)
        self.assert_refused(src, "refusing to unpickle torch._utils._rebuild_tensor_v2")

    def test_stylegan2_version_4_is_refused(self):
        model = tiny_model(seed=12)
        for st in model:
            st["version"] = 4
        src = self.write_pickle(model, 4)
        err = self.assert_refused(src, "version 4")
        self.assertIn("StyleGAN2", err)

    def test_progan_network_is_refused(self):
        model = tiny_model(seed=13)
        model[2]["version"] = 2
        model[2]["build_func_name"] = "G_paper"
        model[2]["components"] = {}
        src = self.write_pickle(model, 4)
        self.assert_refused(src, "ProGAN")

    def test_truncated_pickle(self):
        data = dumps_official(tiny_model(seed=14), 4)
        src = self.path("truncated.pkl")
        with open(src, "wb") as f:
            f.write(data[: len(data) // 2])
        self.assert_refused(src, "truncated pickle")

    def test_memo_index_and_lengths_cannot_force_huge_allocations(self):
        # Found by tools/fuzz: LONG_BINPUT 0x0A000000 made CPython's unpickler allocate a
        # 2.7 GB memo; a BINBYTES8 claiming 4 GB in a few bytes.
        for name, data in [("memo.pkl", bytes.fromhex("80025d72000000" "0a2e")),
                           ("bytes8.pkl", b"\x80\x04\x8e" + (4 << 30).to_bytes(8, "little") + b"abc.")]:
            src = self.path(name)
            with open(src, "wb") as f:
                f.write(data)
            self.assert_refused(src, "pickle")

    def test_not_a_pickle_and_missing_file(self):
        src = self.path("notes.txt")
        with open(src, "w") as f:
            f.write("just some text\n")
        self.assert_refused(src, "not a valid pickle")
        empty = self.path("empty.pkl")
        open(empty, "wb").close()
        self.assert_refused(empty, "empty file")
        self.assert_refused(self.path("does-not-exist.pkl"), "no such file")

    def test_wrong_top_level_structure(self):
        src = self.path("dict.pkl")
        with open(src, "wb") as f:
            pickle.dump({"a": np.zeros(3, np.float32)}, f, protocol=4)
        self.assert_refused(src, "expected the official 3-tuple (G, D, Gs)")

    def test_unexpected_and_misshaped_variables(self):
        model = tiny_model(seed=15)
        model[2]["components"]["synthesis"]["variables"].append(("8x8/Extra/weight", np.zeros([2], np.float32)))
        src = self.write_pickle(model, 4, name="extra.pkl")
        self.assert_refused(src, "unexpected 'synthesis/8x8/Extra/weight'")

        model = tiny_model(seed=15)
        variables = model[1]["variables"]
        i = [n for n, _ in variables].index("8x8/Conv0/weight")
        variables[i] = ("8x8/Conv0/weight", np.zeros([3, 3, 8, 7], np.float32))
        src = self.write_pickle(model, 4, name="shape.pkl")
        self.assert_refused(src, "'8x8/Conv0/weight' has shape [3, 3, 8, 7], expected [3, 3, 8, 8]")

        model = tiny_model(seed=15)
        variables = model[2]["components"]["mapping"]["variables"]
        model[2]["components"]["mapping"]["variables"] = [(n, a) for n, a in variables if n != "Dense3/bias"]
        src = self.write_pickle(model, 4, name="missing.pkl")
        self.assert_refused(src, "missing 'mapping/Dense3/bias'")

    def test_wrong_noise_count_and_nonzero_lod(self):
        model = tiny_model(seed=16)
        model[2]["components"]["synthesis"] = synthesis_state(TINY, Values(1), {}, noise_maps=5)
        src = self.write_pickle(model, 4, name="noise.pkl")
        self.assert_refused(src, "5 noise maps, expected 2*log2(16)-2 = 6")

        model = tiny_model(seed=16)
        model[2]["variables"][0] = ("lod", np.float32(0.5))
        src = self.write_pickle(model, 4, name="lod.pkl")
        self.assert_refused(src, "'lod' is 0.5, expected 0")

    def test_bad_networks_option(self):
        src = self.write_pickle(tiny_model(seed=17), 4)
        out = self.path("o.safetensors")
        result = run_cli(src, out, "--networks", "Gs,Gx")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("unknown network 'Gx'", result.stderr)
        self.assertFalse(os.path.exists(out))


# --------------------------------------------------------------------------------------
# --emit for the Swift test
# --------------------------------------------------------------------------------------

EMIT_NAMES = ("Gs/mapping/Dense0/weight", "Gs/mapping/Dense7/bias", "Gs/synthesis/4x4/Const/const",
              "Gs/synthesis/4x4/Conv/weight", "Gs/synthesis/16x16/Conv0_up/weight", "Gs/synthesis/noise5",
              "Gs/synthesis/ToRGB_lod0/bias", "Gs/dlatent_avg", "G/synthesis/8x8/Conv1/StyleMod/weight",
              "D/FromRGB_lod0/weight", "D/4x4/Conv/weight", "D/4x4/Dense1/bias")


def emit(directory):
    os.makedirs(directory, exist_ok=True)
    model = tiny_model(seed=2024)
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "tiny-official.pkl")
        with open(src, "wb") as f:
            f.write(dumps_official(model, 4))
        out = os.path.join(directory, "converted.safetensors")
        conv.convert(src, out, networks=["G", "D", "Gs"], log=lambda *_: None)
    expected = expected_tensors(model)
    doc = {"config": TINY_CONFIG,
           "tensors": {name: {"shape": list(expected[name].shape),
                              "first": [float(x) for x in expected[name].reshape(-1)[:4]]}
                       for name in EMIT_NAMES},
           "tensorCount": len(expected)}
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
    return out


def main():
    argv = list(sys.argv)
    emit_dir = None
    if "--emit" in argv:
        i = argv.index("--emit")
        if i + 1 >= len(argv):
            print("usage: %s [unittest options] [--emit DIR]" % argv[0], file=sys.stderr)
            return 2
        emit_dir = argv[i + 1]
        del argv[i:i + 2]
    program = unittest.main(argv=argv, exit=False)
    ok = program.result.wasSuccessful()
    if emit_dir is not None:
        try:
            path = emit(emit_dir)
            print("emitted %s and %s" % (path, os.path.join(emit_dir, "expected.json")))
        except Exception as e:  # noqa: BLE001
            print("emit failed: %s: %s" % (type(e).__name__, e), file=sys.stderr)
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
