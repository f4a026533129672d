#!/usr/bin/env python3
"""Reference fixtures for the StyleGAN v1 model tests (Tests/ModelTests/Fixtures/).

What it does
------------
An independent, plain NumPy re-implementation of the official StyleGAN v1 networks
(NVlabs/stylegan, training/networks_stylegan.py: G_mapping, G_synthesis with the
"linear" progressive structure, D_basic with the "linear" structure; TensorFlow NCHW
semantics) is run in float64 on two tiny models with deterministic random weights,
and the weights plus inputs/expected outputs are written as safetensors files:

  reference32.weights.safetensors   config A (32 px, batch 8)
  reference32.io.safetensors
  reference128.weights.safetensors  config B (128 px, batch 2; exercises the fused
  reference128.io.safetensors       transposed-conv upsampling in G and the fused
                                    stride-2 conv downsampling in D)

Sizes: about 0.13 MB + 0.83 MB (32) and 0.35 MB + 5.7 MB (128); the 128 io file is
dominated by eight [4,3,128,128] float32 tensors (0.79 MB each). Output is byte-for-byte
deterministic (fixed RandomState seeds, sorted tensor order, fixed JSON layout).

Weights files hold the raw (un-scaled) variables in the official TensorFlow layouts
and names, as an official pickle stores them: generator under "Gs/" (component dict
keys "mapping"/"synthesis", plus "Gs/dlatent_avg"), discriminator under "D/". No
"lod" variables. Metadata: {"format": "stylegan-swift", "config": <JSON>}.

IO files hold z, z2, w = mapping(z), truncated dlatents, synthesis images at several
lods (constant noise maps), a truncated image, a style-mixing image, and discriminator
inputs/scores at the same lods. Their metadata "description" documents each tensor.

All tensors are float32 little-endian. The forward passes use the float32-rounded
stored values (weights and inputs) promoted to float64, so the expected outputs are the
float64 results for exactly the numbers in the files.

The script also asserts a few identities on random data before writing anything
(fused up/down-sampling vs. the separate ops, transposed conv = adjoint of conv,
linear vs. recursive progressive structures for G and D).

How to run
----------
From the repository root, with python3 and numpy only:

    python3 tools/make_reference_fixtures.py

It overwrites the four files above. The fixtures are committed; regenerate them only
on purpose (e.g. after a deliberate change of the reference semantics), never as a
way to make failing Swift tests pass.
"""

import json
import os
import struct
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "ModelTests", "Fixtures")

SQRT2 = np.sqrt(2.0)

# ---------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------

BASE = dict(
    numChannels=3, latentSize=16, dlatentSize=16, mappingFmaps=16, mappingLayers=8,
    mappingLRMul=0.01, fmapDecay=1.0, fmapMax=16, mbstdGroupSize=4,
    truncationPsi=0.7, dlatentAvgBeta=0.995, styleMixingProb=0.9,
)
CONFIGS = [
    dict(name="reference32", seed_weights=32001, seed_io=32002, batch=8,
         lods=[0.0, 0.25, 1.5, 2.0], mix_crossover=3,
         config=dict(BASE, resolution=32, fmapBase=64, truncationCutoff=4)),
    # Batch 2 and two lods keep the 128 px fixture near 1 MB; truncation and mixing are
    # covered by the 32 px one (extras=False skips image_psi / image_mix here).
    dict(name="reference128", seed_weights=128001, seed_io=128002, batch=2,
         lods=[0.0, 0.5], mix_crossover=5, extras=False,
         config=dict(BASE, resolution=128, fmapBase=128, truncationCutoff=6)),
]
CONFIG_KEYS = ["resolution", "numChannels", "latentSize", "dlatentSize", "mappingFmaps",
               "mappingLayers", "mappingLRMul", "fmapBase", "fmapDecay", "fmapMax",
               "mbstdGroupSize", "truncationPsi", "truncationCutoff", "dlatentAvgBeta",
               "styleMixingProb"]


def nf_fn(cfg):
    def nf(stage):
        return min(int(cfg["fmapBase"] / (2.0 ** (stage * cfg["fmapDecay"]))), cfg["fmapMax"])
    return nf


def lod_name(x):
    return str(float(x)).replace(".", "p")

# ---------------------------------------------------------------------------
# Primitive ops (NCHW, TensorFlow semantics). Dtype follows the inputs.
# ---------------------------------------------------------------------------


def wscale(w, gain, lrmul=1.0):
    """Equalized learning rate: runtime weight = stored * gain / sqrt(fan_in) * lrmul."""
    fan_in = int(np.prod(w.shape[:-1]))
    return w * (gain / np.sqrt(fan_in) * lrmul)


def lrelu(x):
    return np.maximum(x, x * 0.2)


def pad_hw(x, before, after):
    return np.pad(x, ((0, 0), (0, 0), (before, after), (before, after)))


def conv2d(x, w, stride=1):
    """TF conv2d, padding SAME, cross-correlation. x [N,Ci,H,W], w [kh,kw,Ci,Co]."""
    k = w.shape[0]
    assert w.shape[1] == k and w.shape[2] == x.shape[1]
    n, _, h, wd = x.shape
    oh, ow = -(-h // stride), -(-wd // stride)
    pt_h = max((oh - 1) * stride + k - h, 0)
    pt_w = max((ow - 1) * stride + k - wd, 0)
    assert pt_h == pt_w
    xp = pad_hw(x, pt_h // 2, pt_h - pt_h // 2)
    out = np.zeros((n, w.shape[3], oh, ow), dtype=x.dtype)
    for ky in range(k):
        for kx in range(k):
            win = xp[:, :, ky:ky + stride * (oh - 1) + 1:stride, kx:kx + stride * (ow - 1) + 1:stride]
            out += np.einsum("nihw,io->nohw", win, w[ky, kx])
    return out


def conv2d_transpose_s2(x, w):
    """TF conv2d_transpose, stride 2, padding SAME, output [N,Co,2H,2W].
    w [kh,kw,Co,Ci] (TF layout for conv2d_transpose). Exact adjoint (scatter-add) of
    conv2d(., w viewed as [kh,kw,Co,Ci], stride 2, SAME) mapping 2H -> H."""
    k = w.shape[0]
    n, ci, h, wd = x.shape
    assert w.shape[3] == ci
    oh, ow = 2 * h, 2 * wd
    pad_before = max((h - 1) * 2 + k - oh, 0) // 2          # = 1 for k = 4
    full = np.zeros((n, w.shape[2], 2 * (h - 1) + k, 2 * (wd - 1) + k), dtype=x.dtype)
    for ky in range(k):
        for kx in range(k):
            full[:, :, ky:ky + 2 * h:2, kx:kx + 2 * wd:2] += np.einsum("nihw,oi->nohw", x, w[ky, kx])
    return full[:, :, pad_before:pad_before + oh, pad_before:pad_before + ow]


def blur2d(x):
    """Depthwise [1,2,1]x[1,2,1]/16, zero padding 1 (SAME), stride 1."""
    f = np.array([1.0, 2.0, 1.0])
    f = np.outer(f, f)
    f = f / f.sum()
    h, wd = x.shape[2:]
    xp = pad_hw(x, 1, 1)
    out = np.zeros_like(x)
    for ky in range(3):
        for kx in range(3):
            out += xp[:, :, ky:ky + h, kx:kx + wd] * x.dtype.type(f[ky, kx])
    return out


def upscale2d(x, factor=2):
    if factor == 1:
        return x
    return np.repeat(np.repeat(x, factor, axis=2), factor, axis=3)


def downscale2d(x, factor=2):
    if factor == 1:
        return x
    n, c, h, wd = x.shape
    return x.reshape(n, c, h // factor, factor, wd // factor, factor).mean(axis=(3, 5))


def fused_kernel(w):
    """3x3 [kh,kw,a,b] -> 4x4: zero-pad to 5x5, sum of the four 4x4 corner windows."""
    wp = np.pad(w, ((1, 1), (1, 1), (0, 0), (0, 0)))
    return wp[1:, 1:] + wp[:-1, 1:] + wp[1:, :-1] + wp[:-1, :-1]


def upscale2d_conv2d(x, w_stored, out_res):
    """Conv0_up conv part. w_stored [3,3,Ci,Co] raw; runtime gain sqrt(2)."""
    w = wscale(w_stored, SQRT2)
    if out_res >= 128:   # fused_scale='auto': 2 * input res >= 128
        w4 = fused_kernel(np.transpose(w, (0, 1, 3, 2)))   # [4,4,Co,Ci], no 1/4
        return conv2d_transpose_s2(x, w4)
    return conv2d(upscale2d(x), w)


def conv2d_downscale2d(x, w_stored):
    """Conv1_down conv part (after blur). w_stored [3,3,Ci,Co] raw; gain sqrt(2)."""
    w = wscale(w_stored, SQRT2)
    if x.shape[2] >= 128:  # fused_scale='auto': input res >= 128
        w4 = fused_kernel(w) * 0.25
        return conv2d(x, w4, stride=2)
    return downscale2d(conv2d(x, w))


def add_bias(x, b, lrmul=1.0):
    b = b * lrmul
    if x.ndim == 2:
        return x + b
    return x + b.reshape(1, -1, 1, 1)


def pixel_norm(x, eps=1e-8):
    return x / np.sqrt(np.mean(np.square(x), axis=1, keepdims=True) + eps)


IN_MIN_STD = [np.inf]   # diagnostic: smallest instance-norm std seen


def instance_norm(x, eps=1e-8):
    x = x - np.mean(x, axis=(2, 3), keepdims=True)
    ms = np.mean(np.square(x), axis=(2, 3), keepdims=True)
    IN_MIN_STD[0] = min(IN_MIN_STD[0], float(np.sqrt(ms.min())))
    return x / np.sqrt(ms + eps)


def lerp_clip(a, b, t):
    return a + (b - a) * float(np.clip(t, 0.0, 1.0))


def minibatch_stddev(x, group_size=4, num_new_features=1):
    n, c, h, wd = x.shape
    g = min(group_size, n)
    assert n % g == 0
    y = x.reshape(g, n // g, num_new_features, c // num_new_features, h, wd)  # b = g*M + m
    y = y - y.mean(axis=0, keepdims=True)
    y = np.square(y).mean(axis=0)                     # [M,n,c,H,W]
    y = np.sqrt(y + 1e-8)
    y = y.mean(axis=(2, 3, 4))                        # [M,n]
    y = np.tile(y[:, :, None, None], (g, 1, h, wd))   # [N,n,H,W]
    return np.concatenate([x, y], axis=1)

# ---------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------


def mapping(p, z, cfg):
    lrmul = cfg["mappingLRMul"]
    x = pixel_norm(z)
    for i in range(cfg["mappingLayers"]):
        x = x @ wscale(p[f"Gs/mapping/Dense{i}/weight"], SQRT2, lrmul)
        x = add_bias(x, p[f"Gs/mapping/Dense{i}/bias"], lrmul)
        x = lrelu(x)
    return x


def num_layers_of(cfg):
    return 2 * int(np.log2(cfg["resolution"])) - 2


def layer_scope(l):
    if l == 0:
        return "4x4/Const"
    if l == 1:
        return "4x4/Conv"
    r = l // 2 + 2
    return f"{2**r}x{2**r}/" + ("Conv0_up" if l % 2 == 0 else "Conv1")


class Synthesis:
    def __init__(self, p, cfg):
        self.p, self.cfg = p, cfg
        self.L = int(np.log2(cfg["resolution"]))

    def epilogue(self, x, dl, l):
        p, s = self.p, "Gs/synthesis/" + layer_scope(l)
        x = x + p[f"Gs/synthesis/noise{l}"] * p[s + "/Noise/weight"].reshape(1, -1, 1, 1)
        x = add_bias(x, p[s + "/bias"])
        x = lrelu(x)
        x = instance_norm(x)
        c = x.shape[1]
        style = add_bias(dl[:, l] @ wscale(p[s + "/StyleMod/weight"], 1.0), p[s + "/StyleMod/bias"])
        return x * (style[:, :c, None, None] + 1) + style[:, c:, None, None]

    def early(self, dl):
        p = self.p
        x = np.tile(p["Gs/synthesis/4x4/Const/const"], (dl.shape[0], 1, 1, 1))
        x = self.epilogue(x, dl, 0)
        x = conv2d(x, wscale(p["Gs/synthesis/4x4/Conv/weight"], SQRT2))
        return self.epilogue(x, dl, 1)

    def block(self, x, dl, r):
        p, s = self.p, f"Gs/synthesis/{2**r}x{2**r}"
        x = blur2d(upscale2d_conv2d(x, p[s + "/Conv0_up/weight"], 2**r))
        x = self.epilogue(x, dl, 2 * r - 4)
        x = conv2d(x, wscale(p[s + "/Conv1/weight"], SQRT2))
        return self.epilogue(x, dl, 2 * r - 3)

    def torgb(self, x, r):
        s = f"Gs/synthesis/ToRGB_lod{self.L - r}"
        return add_bias(conv2d(x, wscale(self.p[s + "/weight"], 1.0)), self.p[s + "/bias"])

    def linear(self, dl, lod_in):
        """Official 'linear' structure: every block computed, lerp_clip fades."""
        x = self.early(dl)
        images = self.torgb(x, 2)
        for r in range(3, self.L + 1):
            lod = self.L - r
            x = self.block(x, dl, r)
            img = self.torgb(x, r)
            images = upscale2d(images)
            images = lerp_clip(img, images, lod_in - lod)
        return images

    def direct(self, dl, lod_in):
        """Independent cross-check: only the active blocks (like 'recursive')."""
        f = int(np.floor(lod_in))
        cur = self.L - f                       # current resolution log2
        x = self.early(dl)
        prev = None
        for r in range(3, cur + 1):
            prev = x
            x = self.block(x, dl, r)
        img = self.torgb(x, cur)
        t = lod_in - f
        if t > 0 and cur > 2:
            img = img + (upscale2d(self.torgb(prev, cur - 1)) - img) * t
        return upscale2d(img, 2**f)


class Discriminator:
    def __init__(self, p, cfg):
        self.p, self.cfg = p, cfg
        self.L = int(np.log2(cfg["resolution"]))

    def fromrgb(self, img, r):
        s = f"D/FromRGB_lod{self.L - r}"
        return lrelu(add_bias(conv2d(img, wscale(self.p[s + "/weight"], SQRT2)), self.p[s + "/bias"]))

    def block(self, x, r):
        p = self.p
        if r >= 3:
            s = f"D/{2**r}x{2**r}"
            x = lrelu(add_bias(conv2d(x, wscale(p[s + "/Conv0/weight"], SQRT2)), p[s + "/Conv0/bias"]))
            x = lrelu(add_bias(conv2d_downscale2d(blur2d(x), p[s + "/Conv1_down/weight"]), p[s + "/Conv1_down/bias"]))
            return x
        x = minibatch_stddev(x, self.cfg["mbstdGroupSize"], 1)
        x = lrelu(add_bias(conv2d(x, wscale(p["D/4x4/Conv/weight"], SQRT2)), p["D/4x4/Conv/bias"]))
        x = x.reshape(x.shape[0], -1)   # NCHW flatten
        x = lrelu(add_bias(x @ wscale(p["D/4x4/Dense0/weight"], SQRT2), p["D/4x4/Dense0/bias"]))
        return add_bias(x @ wscale(p["D/4x4/Dense1/weight"], 1.0), p["D/4x4/Dense1/bias"])

    def linear(self, images, lod_in):
        img = images
        x = self.fromrgb(img, self.L)
        for r in range(self.L, 2, -1):
            lod = self.L - r
            x = self.block(x, r)
            img = downscale2d(img)
            y = self.fromrgb(img, r - 1)
            x = lerp_clip(x, y, lod_in - lod)
        return self.block(x, 2)

    def direct(self, native, lod_in):
        """Independent cross-check on the native-resolution image (like 'recursive')."""
        f = int(np.floor(lod_in))
        cur = self.L - f
        t = lod_in - f
        x = self.fromrgb(native, cur)
        if cur > 2:
            x = self.block(x, cur)
            if t > 0:
                x = x + (self.fromrgb(downscale2d(native), cur - 1) - x) * t
            for r in range(cur - 1, 2, -1):
                x = self.block(x, r)
        return self.block(x, 2)

# ---------------------------------------------------------------------------
# Weights
# ---------------------------------------------------------------------------


def make_weights(cfg, seed):
    """Raw stored variables (official names/layouts), rounded to float32."""
    rs = np.random.RandomState(seed)
    nf = nf_fn(cfg)
    L = int(np.log2(cfg["resolution"]))
    D, C3 = cfg["dlatentSize"], cfg["numChannels"]
    p = {}

    def normal(name, shape, std):
        p[name] = (rs.standard_normal(shape) * std).astype(np.float32)

    # --- G_mapping
    lrmul = cfg["mappingLRMul"]
    fin = cfg["latentSize"]
    for i in range(cfg["mappingLayers"]):
        fout = D if i == cfg["mappingLayers"] - 1 else cfg["mappingFmaps"]
        normal(f"Gs/mapping/Dense{i}/weight", [fin, fout], 1.0 / lrmul)
        normal(f"Gs/mapping/Dense{i}/bias", [fout], 0.1 / lrmul)   # runtime x0.01 -> N(0, 0.1^2)
        fin = fout
    # --- G_synthesis (creation order as in the official code)
    for l in range(2 * L - 2):
        res = 2 ** (l // 2 + 2)
        normal(f"Gs/synthesis/noise{l}", [1, 1, res, res], 1.0)

    def layer_vars(scope, cin, c, conv=True):
        s = "Gs/synthesis/" + scope
        if conv:
            normal(s + "/weight", [3, 3, cin, c], 1.0)
        normal(s + "/Noise/weight", [c], 0.3)
        normal(s + "/bias", [c], 0.2)
        normal(s + "/StyleMod/weight", [D, 2 * c], 1.0)
        normal(s + "/StyleMod/bias", [2 * c], 0.2)

    normal("Gs/synthesis/4x4/Const/const", [1, nf(1), 4, 4], 1.0)
    layer_vars("4x4/Const", None, nf(1), conv=False)
    layer_vars("4x4/Conv", nf(1), nf(1))
    normal(f"Gs/synthesis/ToRGB_lod{L - 2}/weight", [1, 1, nf(1), C3], 1.0)
    normal(f"Gs/synthesis/ToRGB_lod{L - 2}/bias", [C3], 0.2)
    for r in range(3, L + 1):
        R = 2 ** r
        layer_vars(f"{R}x{R}/Conv0_up", nf(r - 2), nf(r - 1))
        layer_vars(f"{R}x{R}/Conv1", nf(r - 1), nf(r - 1))
        normal(f"Gs/synthesis/ToRGB_lod{L - r}/weight", [1, 1, nf(r - 1), C3], 1.0)
        normal(f"Gs/synthesis/ToRGB_lod{L - r}/bias", [C3], 0.2)
    # --- G_style own variable
    normal("Gs/dlatent_avg", [D], 0.3)
    # --- D_basic
    for r in range(L, 2, -1):
        R = 2 ** r
        normal(f"D/FromRGB_lod{L - r}/weight", [1, 1, C3, nf(r - 1)], 1.0)
        normal(f"D/FromRGB_lod{L - r}/bias", [nf(r - 1)], 0.2)
        normal(f"D/{R}x{R}/Conv0/weight", [3, 3, nf(r - 1), nf(r - 1)], 1.0)
        normal(f"D/{R}x{R}/Conv0/bias", [nf(r - 1)], 0.2)
        normal(f"D/{R}x{R}/Conv1_down/weight", [3, 3, nf(r - 1), nf(r - 2)], 1.0)
        normal(f"D/{R}x{R}/Conv1_down/bias", [nf(r - 2)], 0.2)
    normal(f"D/FromRGB_lod{L - 2}/weight", [1, 1, C3, nf(1)], 1.0)
    normal(f"D/FromRGB_lod{L - 2}/bias", [nf(1)], 0.2)
    normal("D/4x4/Conv/weight", [3, 3, nf(1) + 1, nf(1)], 1.0)
    normal("D/4x4/Conv/bias", [nf(1)], 0.2)
    normal("D/4x4/Dense0/weight", [16 * nf(1), nf(0)], 1.0)
    normal("D/4x4/Dense0/bias", [nf(0)], 0.2)
    normal("D/4x4/Dense1/weight", [nf(0), 1], 1.0)
    normal("D/4x4/Dense1/bias", [1], 0.2)
    return p

# ---------------------------------------------------------------------------
# safetensors writer (struct + json)
# ---------------------------------------------------------------------------


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": {str(k): str(v) for k, v in metadata.items()}}
    blobs, offset = [], 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(np.asarray(tensors[name], dtype="<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    hj = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hj += b" " * ((-len(hj)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        out[k] = np.frombuffer(data[8 + n + b:8 + n + e], dtype="<f4").reshape(v["shape"])
    return out, meta

# ---------------------------------------------------------------------------
# Self-checks
# ---------------------------------------------------------------------------


def self_checks():
    rs = np.random.RandomState(7)
    # Fused upsampling == nearest upsample + 3x3 conv with the spatially flipped kernel.
    x = rs.standard_normal((2, 3, 6, 5))
    w = rs.standard_normal((3, 3, 3, 4))
    fused = conv2d_transpose_s2(x, fused_kernel(np.transpose(w, (0, 1, 3, 2))))
    sep = conv2d(upscale2d(x), w[::-1, ::-1])
    assert fused.shape == (2, 4, 12, 10)
    assert np.allclose(fused, sep, rtol=0, atol=1e-12), np.abs(fused - sep).max()
    # ... and NOT with the unflipped kernel (sanity that the check has teeth).
    assert not np.allclose(fused, conv2d(upscale2d(x), w), atol=1e-6)
    # Through the layer helper at >= 128 vs < 128 code paths (same math, flipped kernel).
    xs = rs.standard_normal((1, 2, 64, 64))
    ws = rs.standard_normal((3, 3, 2, 3))
    a = upscale2d_conv2d(xs, ws, 128)
    b = conv2d(upscale2d(xs), wscale(ws, SQRT2)[::-1, ::-1])
    assert np.allclose(a, b, rtol=0, atol=1e-12)
    # Fused downsampling == 3x3 conv + 2x2 average pooling (no flip).
    x = rs.standard_normal((2, 3, 8, 10))
    fused = conv2d(x, fused_kernel(w) * 0.25, stride=2)
    sep = downscale2d(conv2d(x, w))
    assert fused.shape == (2, 4, 4, 5)
    assert np.allclose(fused, sep, rtol=0, atol=1e-12), np.abs(fused - sep).max()
    xs = rs.standard_normal((1, 2, 128, 128))
    assert np.allclose(conv2d_downscale2d(xs, ws), downscale2d(conv2d(xs, wscale(ws, SQRT2))), rtol=0, atol=1e-12)
    # conv2d_transpose is the adjoint of the stride-2 SAME conv2d with the same kernel.
    k4 = rs.standard_normal((4, 4, 5, 3))          # viewed as [kh,kw,Co_T,Ci_T] = [kh,kw,Ci_fwd,Co_fwd]
    y = rs.standard_normal((2, 3, 6, 7))           # transpose input (Ci_T = 3)
    big = rs.standard_normal((2, 5, 12, 14))       # forward conv input (Ci_fwd = 5)
    lhs = np.sum(conv2d_transpose_s2(y, k4) * big)
    rhs = np.sum(y * conv2d(big, k4, stride=2))
    assert abs(lhs - rhs) < 1e-9 * max(1.0, abs(lhs)), (lhs, rhs)
    # Blur sums to 1 in the interior; 2x2 box down of nearest up is the identity.
    assert np.allclose(blur2d(np.ones((1, 1, 5, 5)))[0, 0, 2, 2], 1.0)
    assert np.allclose(downscale2d(upscale2d(x)), x)
    # Minibatch stddev: strided groups b = g*M + m.
    xb = rs.standard_normal((8, 3, 4, 4))
    yb = minibatch_stddev(xb, 4)[:, 3, 0, 0]
    for m in range(2):
        grp = xb[m::2]
        ref = np.sqrt(grp.var(axis=0) + 1e-8).mean()
        assert np.allclose(yb[m::2], ref)
    print("self-checks passed")

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


DESCRIPTION = (
    "StyleGAN v1 reference outputs (independent NumPy float64 implementation of the official "
    "NVlabs/stylegan networks, TF NCHW semantics) for the weights in {name}.weights.safetensors. "
    "z, z2 [N,latent]: N(0,1) latents. "
    "w [N,dlatent]: G_mapping(z) (pixel norm eps 1e-8, {ml} dense layers wscale gain sqrt2 lrmul 0.01 on weights and biases, lrelu 0.2 after each). "
    "dlatents_psi [N,num_layers,dlatent]: w broadcast to {nl} layers, then dlatent_avg + psi*(w - dlatent_avg) on layers < {cut} (psi 0.7, dlatent_avg = Gs/dlatent_avg). "
    "image_lod<X> [N,3,R,R]: G_synthesis 'linear' structure at lod_in = X on the untruncated broadcast w, constant noise maps (randomize_noise=False); lods {lods}. "
    "image_psi [N,3,R,R]: synthesis of dlatents_psi at lod 0, constant noise. "
    "image_mix [N,3,R,R]: synthesis at lod 0 of dlatents whose layers < mix_crossover come from mapping(z) and layers >= mix_crossover from mapping(z2), no truncation, constant noise. "
    "d_native_lod<X> [N,3,R/2^floor(X),R/2^floor(X)]: N(0,0.5^2) image at the native resolution of lod X. "
    "score_lod<X> [N,1]: D_basic 'linear' structure at lod_in = X applied to d_native_lod<X> nearest-upsampled by 2^floor(X) to R x R "
    "(mbstd group min(4,N), 1 feature). Lod tags are str(float(X)) with '.' -> 'p'."
)


def build(spec, check_f32=True):
    cfg, N, name = spec["config"], spec["batch"], spec["name"]
    R, L = cfg["resolution"], int(np.log2(cfg["resolution"]))
    nl = num_layers_of(cfg)
    weights32 = make_weights(cfg, spec["seed_weights"])

    rs = np.random.RandomState(spec["seed_io"])
    z = rs.standard_normal((N, cfg["latentSize"])).astype(np.float32)
    z2 = rs.standard_normal((N, cfg["latentSize"])).astype(np.float32)
    d_native = {}
    for X in spec["lods"]:
        res = R // 2 ** int(np.floor(X))
        d_native[X] = (rs.standard_normal((N, cfg["numChannels"], res, res)) * 0.5).astype(np.float32)

    def run(dtype, cross_check):
        p = {k: v.astype(dtype) for k, v in weights32.items()}
        G, Dn = Synthesis(p, cfg), Discriminator(p, cfg)
        out = {}
        w = mapping(p, z.astype(dtype), cfg)
        w2 = mapping(p, z2.astype(dtype), cfg)
        out["w"] = w
        dl = np.repeat(w[:, None, :], nl, axis=1)
        avg = p["Gs/dlatent_avg"]
        layer_idx = np.arange(nl)[None, :, None]
        coefs = np.where(layer_idx < cfg["truncationCutoff"], cfg["truncationPsi"], 1.0).astype(dtype)
        dl_psi = avg + (dl - avg) * coefs
        out["dlatents_psi"] = dl_psi
        for X in spec["lods"]:
            img = G.linear(dl, X)
            assert img.shape == (N, cfg["numChannels"], R, R)
            out["image_lod" + lod_name(X)] = img
            if cross_check:
                d = G.direct(dl, X)
                assert np.allclose(img, d, rtol=0, atol=1e-10), (X, np.abs(img - d).max())
        if spec.get("extras", True):
            out["image_psi"] = G.linear(dl_psi, 0.0)
            k = spec["mix_crossover"]
            dl2 = np.repeat(w2[:, None, :], nl, axis=1)
            dl_mix = np.where(layer_idx < k, dl, dl2)
            out["image_mix"] = G.linear(dl_mix, 0.0)
        for X in spec["lods"]:
            f = int(np.floor(X))
            full = upscale2d(d_native[X].astype(dtype), 2 ** f)
            s = Dn.linear(full, X)
            assert s.shape == (N, 1)
            out["score_lod" + lod_name(X)] = s
            if cross_check:
                s2 = Dn.direct(d_native[X].astype(dtype), X)
                assert np.allclose(s, s2, rtol=0, atol=1e-9), (X, np.abs(s - s2).max())
        return out

    IN_MIN_STD[0] = np.inf
    out64 = run(np.float64, True)
    min_std = IN_MIN_STD[0]
    if check_f32:
        out32 = run(np.float32, False)
        for key in out64:
            a, b = out64[key], out32[key].astype(np.float64)
            err = np.abs(a - b).max()
            print(f"  {name} {key:16s} shape {str(list(a.shape)):18s} |max| {np.abs(a).max():9.4f} "
                  f"float32-vs-float64 max abs diff {err:.2e}")
    print(f"  {name}: smallest instance-norm std {min_std:.3e}")

    io = {"z": z, "z2": z2}
    io.update(out64)
    for X in spec["lods"]:
        io["d_native_lod" + lod_name(X)] = d_native[X]
    for v in io.values():
        assert np.all(np.isfinite(v))

    wmeta = {"format": "stylegan-swift", "config": json.dumps({k: cfg[k] for k in CONFIG_KEYS})}
    iometa = {
        "format": "stylegan-swift-reference-io",
        "lods": ",".join(str(float(X)) for X in spec["lods"]),
        "mix_crossover": str(spec["mix_crossover"]),
        "psi": str(cfg["truncationPsi"]),
        "batch": str(N),
        "description": DESCRIPTION.format(name=name, ml=cfg["mappingLayers"], nl=nl,
                                          cut=cfg["truncationCutoff"],
                                          lods=", ".join(str(float(X)) for X in spec["lods"])),
    }
    return weights32, wmeta, io, iometa


def main():
    self_checks()
    os.makedirs(OUT, exist_ok=True)
    for spec in CONFIGS:
        weights, wmeta, io, iometa = build(spec)
        for suffix, tensors, meta in (("weights", weights, wmeta), ("io", io, iometa)):
            path = os.path.join(OUT, f"{spec['name']}.{suffix}.safetensors")
            write_safetensors(path, tensors, meta)
            back, bmeta = read_safetensors(path)
            assert sorted(back) == sorted(tensors) and bmeta == meta
            for k in tensors:
                assert np.array_equal(back[k], np.asarray(tensors[k], dtype=np.float32))
            print(f"wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")


if __name__ == "__main__":
    sys.exit(main())
