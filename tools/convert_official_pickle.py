#!/usr/bin/env python3
"""Convert an official StyleGAN v1 network pickle into our safetensors weights file.

What it does
------------
Reads a pickle written by NVlabs/stylegan (e.g. karras2019stylegan-ffhq-1024x1024.pkl:
a 3-tuple (G, D, Gs) of dnnlib.tflib.network.Network objects, Network state version 3)
using only Python and NumPy -- no TensorFlow, no dnnlib -- and writes the selected
networks as a safetensors file in the format of Sources/StyleGANModel/WeightsFile.swift:

  * tensor names `{G|Gs|D}/{official variable name}`, sub-networks prefixed with their
    component dict key: `Gs/mapping/Dense0/weight`, `Gs/synthesis/4x4/Const/const`,
    `Gs/synthesis/noise0`, `Gs/dlatent_avg`, `D/FromRGB_lod0/weight`;
  * values exactly as stored in the pickle: the raw (un-scaled) variables in the official
    TensorFlow layouts (conv [kh, kw, in, out], dense [in, out]); F32, or F16 with --fp16;
  * the `lod` variables (always 0 in a finished network) are dropped;
  * `__metadata__`: "format" = "stylegan-swift", "config" = the StyleGANConfig JSON
    inferred from the variable shapes and the networks' static_kwargs, "source" = the
    pickle's file name.

Every variable is checked against the shapes our model expects for the inferred
configuration (missing, unexpected or mis-shaped variables are errors), `lod` must be 0
and the synthesis network must have 2*log2(R)-2 noise maps. The output is written to a
temporary file in the destination directory and renamed into place, so a failure never
leaves a partial or stale-looking output behind.

Use Gs (the moving average of the generator, the default selection) to sample images;
G (the instantaneous generator) and D (the discriminator) are only useful to resume or
fine-tune training.

Safety model
------------
Unpickling can execute arbitrary code: a pickle names globals (module.name) that the
unpickler imports and calls. This tool never uses pickle's default global lookup.
A restricted Unpickler resolves a short allowlist and refuses everything else with
"refusing to unpickle <module>.<name>: not part of a StyleGAN network pickle":

  * dnnlib.tflib.network.Network / tfutil.Network -> `NetworkStandIn`, a plain attribute
    bag that stores the pickled state dict; it never looks at build_module_src (the
    official class exec()s that source: that is exactly what we avoid);
  * dnnlib.util.EasyDict -> dict;
  * the NumPy reconstruction hooks for arrays, dtypes and scalars (numpy.core.* and
    numpy._core.* spellings), each justified where the allowlist is defined;
  * copyreg._reconstructor, builtins.object, builtins.bytes and _codecs.encode, as
    narrowed wrappers that accept only the argument shapes protocols 0-2 produce.

Persistent ids and extension codes have no handler (the default refuses persistent ids;
extension codes resolve through the same find_class). The only remaining risk is
resource use (a crafted pickle can ask for a large allocation); nothing in it can run
code. Everything read is then validated against the expected structure before a byte is
written.

Usage
-----
  python3 tools/convert_official_pickle.py karras2019stylegan-ffhq-1024x1024.pkl \\
      ffhq-1024.safetensors [--networks Gs|Gs,D|G,D,Gs] [--fp16]
"""

import argparse
import importlib
import json
import math
import os
import io
import pickle
import pickletools
import stat
import struct
import sys
import tempfile

import numpy as np

FORMAT = "stylegan-swift"
NETWORK_ORDER = ("G", "D", "Gs")          # order inside the official 3-tuple


class ConversionError(Exception):
    """A problem with the input; the message is printed as a one-line error."""


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global that is not on the allowlist."""


def refusal(module, name, hint=""):
    return RefusedGlobal("refusing to unpickle %s.%s: not part of a StyleGAN network pickle%s" % (module, name, hint))


# --------------------------------------------------------------------------------------
# Restricted unpickling
# --------------------------------------------------------------------------------------

class NetworkStandIn:
    """Stand-in for dnnlib's Network: keeps the pickled state dict, nothing else.

    pickle's BUILD step calls __setstate__ with the dict returned by the official
    Network.__getstate__ (version, name, static_kwargs, components, build_module_src,
    build_func_name, variables). The build source is stored as an inert string and never
    executed, imported or compiled.
    """

    def __setstate__(self, state):
        self.state = state


def _numpy_attr(module_names, name):
    """The first of `module_names`.`name` that this NumPy provides (numpy.core became
    numpy._core in NumPy 2; the old path is a deprecated alias there)."""
    for module_name in module_names:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if hasattr(module, name):
            return getattr(module, name)
    return None


def _safe_reconstructor(cls, base, state):
    # copyreg._reconstructor(cls, base, state) as protocols 0/1 use it, restricted to the
    # only two combinations a network pickle can contain (cls comes from this allowlist
    # anyway; the narrowing just keeps base.__init__ from being called on anything else).
    if cls is NetworkStandIn and base is object and state is None:
        return NetworkStandIn()
    if cls is dict and base is dict and isinstance(state, dict):
        return dict(state)
    raise RefusedGlobal("refusing to unpickle copyreg._reconstructor for %r: not part of a StyleGAN network pickle" % (cls,))


def _safe_codecs_encode(text, encoding="latin1"):
    # Protocols 0-2 spell bytes objects as _codecs.encode(str, 'latin1'); other codecs
    # (compression, rot13, ...) are never needed, so only latin-1 of a str is accepted.
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise RefusedGlobal("refusing to unpickle _codecs.encode with encoding %r: not part of a StyleGAN network pickle" % (encoding,))
    return text.encode("latin1")


def _safe_bytes(*args):
    # Protocols 0-2 spell an empty bytes object as builtins.bytes(); nothing else.
    if args:
        raise RefusedGlobal("refusing to unpickle builtins.bytes with arguments: not part of a StyleGAN network pickle")
    return b""


def _build_allowlist():
    multiarray = ("numpy._core.multiarray", "numpy.core.multiarray")
    numeric = ("numpy._core.numeric", "numpy.core.numeric")
    reconstruct = _numpy_attr(multiarray, "_reconstruct")
    scalar = _numpy_attr(multiarray, "scalar")
    frombuffer = _numpy_attr(numeric, "_frombuffer")
    allow = {
        # The networks themselves: inert attribute bags (see NetworkStandIn).
        ("dnnlib.tflib.network", "Network"): NetworkStandIn,
        ("tfutil", "Network"): NetworkStandIn,                      # ProGAN-era pickles
        # EasyDict is a dict with attribute access; a plain dict holds the same data.
        ("dnnlib.util", "EasyDict"): dict,
        # np.ndarray: the class, used as _reconstruct's subtype; called directly it only
        # builds an array over a buffer (size/strides are validated by NumPy).
        ("numpy", "ndarray"): np.ndarray,
        # np.dtype: parses a type description (e.g. 'f4'); creates no other objects.
        ("numpy", "dtype"): np.dtype,
    }
    for module in multiarray:
        if reconstruct is not None:
            # _reconstruct(subtype, shape, dtype): allocates an empty array of an ndarray
            # subtype; the only subtype reachable through this allowlist is ndarray.
            allow[(module, "_reconstruct")] = reconstruct
        if scalar is not None:
            # scalar(dtype, bytes): copies raw bytes into a NumPy scalar (the 0-d `lod`);
            # for object dtype it returns an object that itself passed this allowlist.
            allow[(module, "scalar")] = scalar
    for module in numeric:
        if frombuffer is not None:
            # _frombuffer(buf, dtype, shape, order) (protocol 5): frombuffer + reshape.
            allow[(module, "_frombuffer")] = frombuffer
    allow[("copyreg", "_reconstructor")] = _safe_reconstructor
    # object: only ever the `base` argument of copyreg._reconstructor.
    allow[("builtins", "object")] = object
    allow[("builtins", "bytes")] = _safe_bytes
    allow[("_codecs", "encode")] = _safe_codecs_encode
    return allow


_ALLOWED = _build_allowlist()


class RestrictedUnpickler(pickle.Unpickler):
    """Resolves only the allowlisted globals; refuses every other one."""

    # Protocols 0-2 written by Python 3 use the Python 2 module names.
    PY2_NAMES = {"__builtin__": "builtins", "copy_reg": "copyreg"}

    def find_class(self, module, name):
        module = self.PY2_NAMES.get(module, module)
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        hint = ""
        if module.split(".")[0] in ("torch", "collections") or name.startswith("_rebuild"):
            hint = " (is this a PyTorch file? only official TensorFlow StyleGAN pickles are supported)"
        raise refusal(module, name, hint)

    def persistent_load(self, pid):
        raise pickle.UnpicklingError("refusing persistent id %r: not part of a StyleGAN network pickle" % (pid,))


def prescan(data, path):
    """Walks the opcodes without running them (pickletools), so that no declared size can
    make the unpickler allocate more than the file justifies: every length must fit in the
    file (genops refuses one that runs past the end) and memo indices must be the next
    free slot or an earlier one (a real pickle numbers them 0, 1, 2, …; CPython's C
    unpickler grows its memo to twice any index it is given, gh-115952)."""
    stored = 0
    try:
        for op, arg, _ in pickletools.genops(io.BytesIO(data)):
            if op.name in ("PUT", "BINPUT", "LONG_BINPUT"):
                if not isinstance(arg, int) or arg < 0 or arg > stored:
                    raise ConversionError("%s: not a valid pickle (memo index %r out of sequence)" % (path, arg))
                stored += 1
            elif op.name == "MEMOIZE":
                stored += 1
    except ConversionError:
        raise
    except Exception as e:  # noqa: BLE001 -- genops' ValueError and friends: malformed data
        text = str(e)
        if isinstance(e, EOFError) or "remain" in text or "pickle exhausted" in text:
            raise ConversionError("%s: truncated pickle (%s)" % (path, text))
        raise ConversionError("%s: not a valid pickle (%s)" % (path, text))


def load_pickle(path):
    """Unpickles `path` with the restricted unpickler; ConversionError on any problem."""
    if not os.path.exists(path):
        raise ConversionError("%s: no such file" % path)
    if os.path.isdir(path):
        raise ConversionError("%s: is a directory, expected a .pkl file" % path)
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise ConversionError("%s: not a regular file (a device, FIFO or socket)" % path)
    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                raise ConversionError("%s: empty file, not a pickle" % path)
            data = f.read()
        prescan(data, path)
        return RestrictedUnpickler(io.BytesIO(data)).load()
    except ConversionError:
        raise
    except RefusedGlobal as e:
        raise ConversionError("%s: %s" % (path, e))
    except EOFError:
        raise ConversionError("%s: truncated pickle (file ends in the middle of the data)" % path)
    except pickle.UnpicklingError as e:
        text = str(e)
        if "truncated" in text:
            raise ConversionError("%s: truncated pickle (%s)" % (path, text))
        raise ConversionError("%s: not a valid pickle (%s)" % (path, text))
    except MemoryError:
        raise ConversionError("%s: out of memory while unpickling" % path)
    except OSError as e:
        raise ConversionError("%s: cannot read: %s" % (path, e.strerror or e))
    except Exception as e:  # noqa: BLE001 -- any other failure means corrupt data
        raise ConversionError("%s: corrupt pickle (%s: %s)" % (path, type(e).__name__, e))


# --------------------------------------------------------------------------------------
# Structure
# --------------------------------------------------------------------------------------

EXPECTED_FUNC = {"G": "G_style", "Gs": "G_style", "D": "D_basic",
                 "mapping": "G_mapping", "synthesis": "G_synthesis"}
PROGAN_FUNCS = {"G_paper", "D_paper"}

# static_kwargs our port does not implement when they differ from the official default.
ARCH_DEFAULTS = {
    "G_mapping": {"label_size": 0, "mapping_nonlinearity": "lrelu", "normalize_latents": True,
                  "use_wscale": True, "dtype": "float32"},
    "G_synthesis": {"const_input_layer": True, "use_noise": True, "use_styles": True,
                    "use_pixel_norm": False, "use_instance_norm": True, "nonlinearity": "lrelu",
                    "use_wscale": True, "blur_filter": [1, 2, 1], "fused_scale": "auto", "dtype": "float32"},
    "D_basic": {"label_size": 0, "nonlinearity": "lrelu", "use_wscale": True, "mbstd_num_features": 1,
                "blur_filter": [1, 2, 1], "fused_scale": "auto", "dtype": "float32"},
    "G_style": {"label_size": 0},
}


_MAX_KWARG_ELEMENTS = 4096   # a StyleGAN kwarg is a number, a string or a short list


def _plain(value, budget=None):
    """static_kwargs values as plain Python (NumPy scalars/arrays to numbers/lists). A
    kwarg array, or all of them together, over _MAX_KWARG_ELEMENTS elements is refused:
    a crafted pickle can reference one large array many times, and tolist() would
    multiply it into gigabytes of Python objects."""
    budget = budget if budget is not None else [_MAX_KWARG_ELEMENTS]
    if isinstance(value, np.ndarray):
        budget[0] -= int(value.size)
        if budget[0] < 0:
            raise ConversionError("static_kwargs hold arrays of more than %d elements in all, not StyleGAN settings" % _MAX_KWARG_ELEMENTS)
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        budget[0] -= len(value)
        if budget[0] < 0:
            raise ConversionError("static_kwargs hold lists of more than %d elements in all, not StyleGAN settings" % _MAX_KWARG_ELEMENTS)
        return [_plain(v, budget) for v in value]
    return value


class Net:
    """One validated network: its state, static_kwargs and sub-networks."""

    def __init__(self, obj, where, depth=0):
        self.where = where
        if depth > 2:
            raise ConversionError("%s: components nested too deeply for a StyleGAN network" % where)
        if not isinstance(obj, NetworkStandIn):
            raise ConversionError("%s is a %s, expected a dnnlib Network" % (where, type(obj).__name__))
        state = getattr(obj, "state", None)
        if not isinstance(state, dict):
            raise ConversionError("%s: Network state is a %s, expected a dict" % (where, type(state).__name__))
        version = state.get("version")
        if version == 4 or (isinstance(version, int) and version > 4):
            raise ConversionError("%s: Network state version %r is a StyleGAN2 (or later) pickle; "
                                  "this tool converts StyleGAN v1 pickles (version 3) only" % (where, version))
        if version not in (2, 3):
            raise ConversionError("%s: unsupported Network state version %r (expected 3, or 2 for older dnnlib)" % (where, version))
        for key in ("name", "static_kwargs", "build_func_name", "variables"):
            if key not in state:
                raise ConversionError("%s: Network state has no '%s'" % (where, key))
        self.version = version
        self.name = state["name"]
        self.func = state["build_func_name"]
        if not isinstance(self.func, str):
            raise ConversionError("%s: build_func_name is a %s, expected a string" % (where, type(self.func).__name__))
        kwargs = state["static_kwargs"]
        if not isinstance(kwargs, dict):
            raise ConversionError("%s: static_kwargs is a %s, expected a dict" % (where, type(kwargs).__name__))
        budget = [_MAX_KWARG_ELEMENTS]
        self.static_kwargs = {str(k): _plain(v, budget) for k, v in kwargs.items()}
        variables = state["variables"]
        if not isinstance(variables, (list, tuple)):
            raise ConversionError("%s: variables is a %s, expected a list of (name, array)" % (where, type(variables).__name__))
        self.variables = []
        for item in variables:
            if not (isinstance(item, (list, tuple)) and len(item) == 2 and isinstance(item[0], str)):
                raise ConversionError("%s: variables must be (name, array) pairs, found %r" % (where, type(item).__name__))
            name, value = item
            if isinstance(value, (np.ndarray, np.generic)):
                array = np.asarray(value)
            else:
                raise ConversionError("%s: variable '%s' is a %s, expected a NumPy array" % (where, name, type(value).__name__))
            if array.dtype.kind != "f":
                raise ConversionError("%s: variable '%s' has dtype %s, expected floating point" % (where, name, array.dtype))
            self.variables.append((name, array))
        components = state.get("components", {}) or {}
        if not isinstance(components, dict):
            raise ConversionError("%s: components is a %s, expected a dict" % (where, type(components).__name__))
        self.components = {}
        for key, comp in components.items():
            if not isinstance(key, str) or not key or "/" in key:
                raise ConversionError("%s: bad component key %r" % (where, key))
            self.components[key] = Net(comp, "%s/%s" % (where, key), depth + 1)

    def flatten(self, prefix=""):
        """{local name: array} over own variables and components (prefix = dict key)."""
        out = {}
        for name, array in self.variables:
            full = prefix + name
            if full in out:
                raise ConversionError("%s: duplicate variable '%s'" % (self.where, name))
            out[full] = array
        for key, comp in self.components.items():
            for name, array in comp.flatten(prefix + key + "/").items():
                if name in out:
                    raise ConversionError("%s: duplicate variable '%s'" % (self.where, name))
                out[name] = array
        return out

    def check_kind(self, role):
        expected = EXPECTED_FUNC[role]
        if self.func != expected:
            if self.func in PROGAN_FUNCS or self.version == 2:
                raise ConversionError("%s is a ProGAN network (%s); only StyleGAN v1 networks (%s) are supported"
                                      % (self.where, self.func, expected))
            raise ConversionError("%s has build function %r, expected StyleGAN v1's %r" % (self.where, self.func, expected))
        for key, default in ARCH_DEFAULTS.get(expected, {}).items():
            if key in self.static_kwargs:
                value = self.static_kwargs[key]
                if value != default:
                    raise ConversionError("%s: static_kwargs %s=%r, but this port implements only %s=%r"
                                          % (self.where, key, value, key, default))
        if role in ("G", "Gs"):
            for key in ("mapping", "synthesis"):
                if key not in self.components:
                    raise ConversionError("%s: no '%s' component (components: %s)" % (self.where, key, sorted(self.components)))
                self.components[key].check_kind(key)
            extra = set(self.components) - {"mapping", "synthesis"}
            if extra:
                raise ConversionError("%s: unexpected components %s" % (self.where, sorted(extra)))
        elif self.components:
            raise ConversionError("%s: unexpected components %s" % (self.where, sorted(self.components)))


def read_networks(obj, path):
    """The (G, D, Gs) tuple as {role: Net}."""
    if isinstance(obj, dict) and ("G_ema" in obj or "training_set_kwargs" in obj):
        raise ConversionError("%s: this is a StyleGAN2-ADA (PyTorch) pickle, not an official StyleGAN v1 pickle" % path)
    if not isinstance(obj, (tuple, list)) or len(obj) != 3:
        what = "a %d-tuple" % len(obj) if isinstance(obj, (tuple, list)) else "a %s" % type(obj).__name__
        raise ConversionError("%s: holds %s, expected the official 3-tuple (G, D, Gs)" % (path, what))
    nets = {}
    for role, item in zip(NETWORK_ORDER, obj):
        nets[role] = Net(item, role)
    return nets


# --------------------------------------------------------------------------------------
# Configuration inference and expected shapes
# --------------------------------------------------------------------------------------

def nf(config, stage):
    return min(int(config["fmapBase"] / 2.0 ** (stage * config["fmapDecay"])), config["fmapMax"])


def infer_fmaps(channels, hints):
    """fmap_base, fmap_decay, fmap_max reproducing {stage: channels} with
    nf(s) = min(int(fmap_base / 2**(s*fmap_decay)), fmap_max)."""
    def reproduces(base, decay, cap):
        return all(min(int(base / 2.0 ** (s * decay)), cap) == c for s, c in channels.items())

    if all(k in hints for k in ("fmap_base", "fmap_max")):
        base, cap, decay = hints["fmap_base"], hints["fmap_max"], hints.get("fmap_decay", 1.0)
        if isinstance(base, int) and isinstance(cap, int) and isinstance(decay, (int, float)) and reproduces(base, decay, cap):
            return base, float(decay), cap
    if "fmap_decay" in hints and hints["fmap_decay"] != 1:
        raise ConversionError("static_kwargs fmap_decay=%r does not reproduce the channel counts %s"
                              % (hints["fmap_decay"], channels))
    cap = max(channels.values())
    low, high = 1, None                       # fmap_base in [low, high)
    for s, c in channels.items():
        if c < cap:
            low, high = max(low, c * 2 ** s), ((c + 1) * 2 ** s if high is None else min(high, (c + 1) * 2 ** s))
        else:
            low = max(low, c * 2 ** s)
    if high is not None and low >= high:
        raise ConversionError("channel counts per stage %s do not follow nf(stage) = min(fmap_base / 2^stage, fmap_max)"
                              % dict(sorted(channels.items())))
    base = hints.get("fmap_base")
    if not (isinstance(base, int) and base >= low and (high is None or base < high)):
        base = low
    if not reproduces(base, 1.0, cap):      # cannot happen, but never write a wrong config
        raise ConversionError("could not find fmap_base/fmap_max reproducing channels %s" % channels)
    return base, 1.0, cap


def expected_generator(config):
    """{name: shape} of a G_style network (without `lod`), as our loader expects."""
    L = int(round(math.log2(config["resolution"])))
    d, nc = config["dlatentSize"], config["numChannels"]
    shapes = {"dlatent_avg": (d,)}
    for i in range(config["mappingLayers"]):
        fin = config["latentSize"] if i == 0 else config["mappingFmaps"]
        fout = d if i == config["mappingLayers"] - 1 else config["mappingFmaps"]
        shapes["mapping/Dense%d/weight" % i] = (fin, fout)
        shapes["mapping/Dense%d/bias" % i] = (fout,)
    for layer in range(2 * L - 2):
        s = 2 ** (layer // 2 + 2)
        shapes["synthesis/noise%d" % layer] = (1, 1, s, s)
    for r in range(2, L + 1):
        c = nf(config, r - 1)
        if r == 2:
            first, second = "synthesis/4x4/Const", "synthesis/4x4/Conv"
            shapes[first + "/const"] = (1, c, 4, 4)
        else:
            first, second = "synthesis/%dx%d/Conv0_up" % (2 ** r, 2 ** r), "synthesis/%dx%d/Conv1" % (2 ** r, 2 ** r)
            shapes[first + "/weight"] = (3, 3, nf(config, r - 2), c)
        shapes[second + "/weight"] = (3, 3, c, c)
        for scope in (first, second):
            shapes[scope + "/Noise/weight"] = (c,)
            shapes[scope + "/bias"] = (c,)
            shapes[scope + "/StyleMod/weight"] = (d, 2 * c)
            shapes[scope + "/StyleMod/bias"] = (2 * c,)
        shapes["synthesis/ToRGB_lod%d/weight" % (L - r)] = (1, 1, c, nc)
        shapes["synthesis/ToRGB_lod%d/bias" % (L - r)] = (nc,)
    return shapes


def expected_discriminator(config):
    """{name: shape} of a D_basic network (without `lod`)."""
    L = int(round(math.log2(config["resolution"])))
    nc = config["numChannels"]
    shapes = {}
    for r in range(L, 1, -1):
        c = nf(config, r - 1)
        shapes["FromRGB_lod%d/weight" % (L - r)] = (1, 1, nc, c)
        shapes["FromRGB_lod%d/bias" % (L - r)] = (c,)
        if r > 2:
            res = "%dx%d" % (2 ** r, 2 ** r)
            shapes[res + "/Conv0/weight"] = (3, 3, c, c)
            shapes[res + "/Conv0/bias"] = (c,)
            shapes[res + "/Conv1_down/weight"] = (3, 3, c, nf(config, r - 2))
            shapes[res + "/Conv1_down/bias"] = (nf(config, r - 2),)
    head_in = nf(config, 1) + (1 if config["mbstdGroupSize"] > 1 else 0)
    shapes["4x4/Conv/weight"] = (3, 3, head_in, nf(config, 1))
    shapes["4x4/Conv/bias"] = (nf(config, 1),)
    shapes["4x4/Dense0/weight"] = (nf(config, 1) * 16, nf(config, 0))
    shapes["4x4/Dense0/bias"] = (nf(config, 0),)
    shapes["4x4/Dense1/weight"] = (nf(config, 0), 1)
    shapes["4x4/Dense1/bias"] = (1,)
    return shapes


def _shape(flat, name, where):
    if name not in flat:
        raise ConversionError("%s: missing variable '%s'" % (where, name))
    return tuple(flat[name].shape)


def _count_indexed(flat, fmt, where):
    """Largest k+1 such that fmt % 0 … fmt % k all exist (and no gaps)."""
    present = set()
    for name in flat:
        for k in range(64):
            if name == fmt % k:
                present.add(k)
    if not present:
        return 0
    n = max(present) + 1
    if present != set(range(n)):
        raise ConversionError("%s: variables %s are not numbered 0…%d without gaps" % (where, fmt.replace("%d", "{k}"), n - 1))
    return n


def infer_config(nets, flats, selected):
    """StyleGANConfig as a dict, from shapes and static_kwargs of the networks."""
    kw = {}                                   # merged static_kwargs, checked for conflicts
    sources = []
    gen_role = next((r for r in ("Gs", "G") if r in selected), "Gs")
    for role in [gen_role] + (["D"] if "D" in selected else []):
        sources.append((role, nets[role]))
        sources += [("%s/%s" % (role, k), c) for k, c in nets[role].components.items()]
    for where, net in sources:
        for key, value in net.static_kwargs.items():
            kw.setdefault(key, []).append((where, value))

    def static(key, default=None):
        values = kw.get(key, [])
        distinct = []
        for _, v in values:
            if v not in distinct:
                distinct.append(v)
        if len(distinct) > 1:
            raise ConversionError("static_kwargs disagree on %s: %s" % (key, ", ".join("%s=%r" % wv for wv in values)))
        return distinct[0] if distinct else default

    def check_static(key, value):
        given = static(key)
        if given is not None and given != value:
            raise ConversionError("static_kwargs %s=%r, but the variable shapes say %r" % (key, given, value))

    # Resolution: ToRGB / FromRGB layers and noise maps, cross-checked with static_kwargs.
    g = flats[gen_role]
    where = gen_role
    n_torgb = _count_indexed(g, "synthesis/ToRGB_lod%d/weight", where)
    if n_torgb == 0:
        raise ConversionError("%s: no synthesis/ToRGB_lod*/weight variables; not a StyleGAN generator" % where)
    L = n_torgb + 1
    if "D" in selected:
        n_fromrgb = _count_indexed(flats["D"], "FromRGB_lod%d/weight", "D")
        if n_fromrgb + 1 != L:
            raise ConversionError("D has FromRGB layers for %d resolutions but %s has ToRGB layers for %d"
                                  % (n_fromrgb, where, n_torgb))
    resolution = 2 ** L
    check_static("resolution", resolution)
    if not 4 <= resolution <= 1024:
        raise ConversionError("resolution %d is outside 4…1024" % resolution)
    n_noise = _count_indexed(g, "synthesis/noise%d", where)
    if n_noise != 2 * L - 2:
        raise ConversionError("%s: %d noise maps, expected 2*log2(%d)-2 = %d" % (where, n_noise, resolution, 2 * L - 2))

    num_channels = _shape(g, "synthesis/ToRGB_lod0/weight", where)[-1]
    check_static("num_channels", num_channels)

    # Mapping network.
    if "mapping/LabelConcat/weight" in g:
        raise ConversionError("%s: conditional networks (label_size > 0, LabelConcat) are not supported" % where)
    layers = _count_indexed(g, "mapping/Dense%d/weight", where)
    if layers == 0:
        raise ConversionError("%s: no mapping/Dense*/weight variables" % where)
    first = _shape(g, "mapping/Dense0/weight", where)
    last = _shape(g, "mapping/Dense%d/weight" % (layers - 1), where)
    if len(first) != 2 or len(last) != 2:
        raise ConversionError("%s: mapping dense weights must be 2-D, got %s and %s" % (where, list(first), list(last)))
    latent, dlatent = first[0], last[1]
    fmaps = first[1] if layers > 1 else static("mapping_fmaps", 512)
    for key, value in (("latent_size", latent), ("dlatent_size", dlatent), ("mapping_layers", layers)):
        check_static(key, value)
    if layers > 1:
        check_static("mapping_fmaps", fmaps)
    broadcast = static("dlatent_broadcast")
    if broadcast is not None and broadcast != 2 * L - 2:
        raise ConversionError("static_kwargs dlatent_broadcast=%r, expected %d layers" % (broadcast, 2 * L - 2))

    # Channels per stage.
    channels = {}

    def put(stage, c, what):
        if channels.get(stage, c) != c:
            raise ConversionError("channel counts disagree at stage %d (%s says %d, earlier %d)" % (stage, what, c, channels[stage]))
        channels[stage] = c

    put(1, _shape(g, "synthesis/4x4/Conv/weight", where)[-1], "%s 4x4/Conv" % where)
    for r in range(3, L + 1):
        put(r - 1, _shape(g, "synthesis/%dx%d/Conv1/weight" % (2 ** r, 2 ** r), where)[-1], "%s %dx%d/Conv1" % (where, 2 ** r, 2 ** r))
    if "D" in selected:
        d = flats["D"]
        for r in range(2, L + 1):
            put(r - 1, _shape(d, "FromRGB_lod%d/weight" % (L - r), "D")[-1], "D FromRGB_lod%d" % (L - r))
        put(0, _shape(d, "4x4/Dense0/weight", "D")[-1], "D 4x4/Dense0")
    hints = {k: static(k) for k in ("fmap_base", "fmap_max", "fmap_decay") if static(k) is not None}
    fmap_base, fmap_decay, fmap_max = infer_fmaps(channels, hints)

    # D head: minibatch-stddev feature present?
    mbstd = static("mbstd_group_size", 4)
    if not isinstance(mbstd, int):
        raise ConversionError("static_kwargs mbstd_group_size=%r is not an integer" % (mbstd,))
    if "D" in selected:
        head_in = _shape(flats["D"], "4x4/Conv/weight", "D")
        if len(head_in) == 4:
            if head_in[2] == channels[1]:
                if static("mbstd_group_size") not in (None, 0, 1):
                    raise ConversionError("static_kwargs mbstd_group_size=%r but D's 4x4/Conv has no stddev input channel" % mbstd)
                mbstd = 1
            elif mbstd <= 1:
                raise ConversionError("D's 4x4/Conv has a stddev input channel but static_kwargs mbstd_group_size=%r" % mbstd)

    def number(key, default, kind=float):
        value = static(key, default)
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return default
        return kind(value)

    config = {
        "resolution": resolution,
        "numChannels": num_channels,
        "latentSize": latent,
        "dlatentSize": dlatent,
        "mappingFmaps": fmaps,
        "mappingLayers": layers,
        "mappingLRMul": number("mapping_lrmul", 0.01),
        "fmapBase": fmap_base,
        "fmapDecay": fmap_decay,
        "fmapMax": fmap_max,
        "mbstdGroupSize": mbstd,
        "truncationPsi": number("truncation_psi", 0.7),
        "truncationCutoff": number("truncation_cutoff", 8, int),
        "dlatentAvgBeta": number("dlatent_avg_beta", 0.995),
        "styleMixingProb": number("style_mixing_prob", 0.9),
    }
    return config


def validate(role, flat, config):
    """Checks `flat` (without lod) against the expected names and shapes."""
    expected = expected_discriminator(config) if role == "D" else expected_generator(config)
    problems = []
    for name in sorted(expected):
        if name not in flat:
            problems.append("missing '%s' %s" % (name, list(expected[name])))
        elif tuple(flat[name].shape) != expected[name]:
            problems.append("'%s' has shape %s, expected %s" % (name, list(flat[name].shape), list(expected[name])))
    for name in sorted(set(flat) - set(expected)):
        problems.append("unexpected '%s' %s" % (name, list(flat[name].shape)))
    if problems:
        shown = "; ".join(problems[:6]) + ("; … %d more" % (len(problems) - 6) if len(problems) > 6 else "")
        raise ConversionError("%s: %d variable(s) do not match a %dpx StyleGAN v1 model: %s"
                              % (role, len(problems), config["resolution"], shown))


def strip_lod(role, flat):
    """Removes every `lod` variable after checking it is a scalar 0."""
    out = {}
    for name, array in flat.items():
        if name == "lod" or name.endswith("/lod"):
            if array.size != 1:
                raise ConversionError("%s: '%s' has shape %s, expected a scalar" % (role, name, list(array.shape)))
            value = float(array.reshape(-1)[0])
            if value != 0.0:
                raise ConversionError("%s: '%s' is %g, expected 0 (a snapshot taken during a resolution fade cannot be used)"
                                      % (role, name, value))
            continue
        out[name] = array
    return out


def is_trainable(role, name):
    if role == "D":
        return True
    leaf = name.rsplit("/", 1)[-1]
    return name != "dlatent_avg" and not (name.startswith("synthesis/") and leaf.startswith("noise"))


# --------------------------------------------------------------------------------------
# safetensors writer
# --------------------------------------------------------------------------------------

def write_safetensors(path, tensors, metadata, dtype):
    """Writes {name: array} with `metadata` atomically; dtype 'F32' or 'F16'."""
    np_dtype = {"F32": "<f4", "F16": "<f2"}[dtype]
    itemsize = np.dtype(np_dtype).itemsize
    header = {"__metadata__": {k: metadata[k] for k in sorted(metadata)}}
    offset = 0
    names = sorted(tensors)
    for name in names:
        nbytes = int(tensors[name].size) * itemsize
        header[name] = {"dtype": dtype, "shape": [int(s) for s in tensors[name].shape], "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    blob = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    blob += b" " * ((8 - len(blob) % 8) % 8)

    path = os.path.realpath(path)   # a symlink's target is written, the link stays
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        raise ConversionError("%s: not a regular file (a device, FIFO or socket): refusing to replace it" % path)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(struct.pack("<Q", len(blob)))
            f.write(blob)
            for name in names:
                f.write(np.ascontiguousarray(tensors[name], dtype=np_dtype).tobytes(order="C"))
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return 8 + len(blob) + offset


# --------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------

def parse_networks(text):
    roles = []
    for part in text.split(","):
        part = part.strip()
        if part not in ("G", "D", "Gs"):
            raise ConversionError("--networks: unknown network %r (choose from G, D, Gs, comma-separated)" % part)
        if part not in roles:
            roles.append(part)
    return roles


def convert(pickle_path, output_path, networks=("Gs",), fp16=False, log=print):
    """Converts; returns a summary dict. Raises ConversionError on any input problem."""
    if os.path.exists(output_path) and os.path.exists(pickle_path) and os.path.samefile(pickle_path, output_path):
        raise ConversionError("%s: output would overwrite the input pickle" % output_path)
    out_dir = os.path.dirname(os.path.abspath(output_path))
    if not os.path.isdir(out_dir):
        raise ConversionError("%s: output directory does not exist" % out_dir)
    selected = list(networks)
    nets = read_networks(load_pickle(pickle_path), pickle_path)
    for role in selected:
        nets[role].check_kind(role)
    if not any(r in selected for r in ("G", "Gs")):
        nets["Gs"].check_kind("Gs")           # generator sizes come from Gs
    gen_role = next((r for r in ("Gs", "G") if r in selected), "Gs")
    roles = sorted(set(selected) | {gen_role}, key=NETWORK_ORDER.index)
    flats = {role: strip_lod(role, nets[role].flatten()) for role in roles}
    config = infer_config(nets, flats, selected)
    for role in selected:
        validate(role, flats[role], config)

    tensors, counts = {}, {}
    for role in selected:
        trainable = other = 0
        for name, array in flats[role].items():
            tensors["%s/%s" % (role, name)] = array
            if is_trainable(role, name):
                trainable += array.size
            else:
                other += array.size
        counts[role] = (trainable, other)
    dtype = "F16" if fp16 else "F32"
    if fp16:
        big = [n for n, a in tensors.items() if np.any(np.abs(a) > 65504)]
        if big:
            log("warning: %d tensor(s) exceed the F16 range and will hold inf, e.g. %s" % (len(big), big[0]))
    metadata = {"format": FORMAT,
                "config": json.dumps(config, sort_keys=True, separators=(",", ":")),
                "source": os.path.basename(pickle_path)}
    size = write_safetensors(output_path, tensors, metadata, dtype)

    log("converted %s -> %s (%s, %.1f MB)" % (pickle_path, output_path, dtype, size / 1e6))
    log("config: %s" % json.dumps(config, sort_keys=True))
    log("tensors written: %d (networks %s; lod variables dropped)" % (len(tensors), ",".join(selected)))
    for role in selected:
        trainable, other = counts[role]
        extra = " + %s non-trainable values (noise maps, dlatent_avg)" % format(other, ",") if other else ""
        log("  %-2s %s trainable parameters%s" % (role, format(trainable, ","), extra))
    if "Gs" not in selected and any(r in selected for r in ("G",)):
        log("note: Gs (the moving-average generator) is the one to sample from; G is the training snapshot")
    return {"config": config, "tensors": len(tensors), "counts": counts, "bytes": size}


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Convert an official StyleGAN v1 pickle (G, D, Gs) to a stylegan-swift safetensors file "
                    "using only NumPy (no TensorFlow, no code from the pickle is run).",
        epilog="Gs (the moving average of the generator) is the network to sample images from; "
               "G and D are only needed to resume training.")
    parser.add_argument("pickle", help="official network pickle, e.g. karras2019stylegan-ffhq-1024x1024.pkl")
    parser.add_argument("output", help="safetensors file to write (replaced atomically)")
    parser.add_argument("--networks", default="Gs", metavar="LIST",
                        help="comma-separated subset of G, D, Gs to convert (default: Gs, the generator to sample from)")
    parser.add_argument("--fp16", action="store_true", help="store values as F16 instead of F32 (half the size)")
    args = parser.parse_args(argv)
    try:
        networks = parse_networks(args.networks)
        convert(args.pickle, args.output, networks, fp16=args.fp16)
    except ConversionError as e:
        print("error: %s" % " ".join(str(e).split("\n")), file=sys.stderr)
        return 1
    except OSError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    except (RecursionError, MemoryError) as e:
        print("error: %s: malformed network structure (%s)" % (args.pickle, type(e).__name__), file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 -- settings of impossible values (inf, 10**400, …): one line, never a traceback
        text = " ".join(str(e).split())
        print("error: %s: unusable network settings (%s: %s)" % (args.pickle, type(e).__name__, text), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
