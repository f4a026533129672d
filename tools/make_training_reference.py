#!/usr/bin/env python3
"""Reference dump for one training step, as llm.c keeps one: an independent PyTorch
(float64, autograd) implementation of the official StyleGAN v1 losses on a tiny 8x8
model, written as fixtures that Tests/TrainingTests/TrainingReferenceTests.swift compares
the Swift trainer's building blocks against.

It covers what the forward-only fixtures (make_reference_fixtures.py) cannot: the D loss
terms (logistic on reals and fakes, the R1 penalty of grad_x sum D(x)), grad_x D itself,
the gradients of every D parameter (through R1's double backward) and of every G
parameter (non-saturating loss through a frozen D), and one Adam step on D
(beta1 0, beta2 0.99, eps 1e-8, lr 0.001, as the official config, in TensorFlow's form).

The networks are the official graphs at lod 0 (no fused up/down convs below 128 px):
mapping with pixel norm and lr-mul 0.01, constant input, per-layer constant noise,
AdaIN styles, blur after the upsampling conv, D with minibatch stddev (group 4). Weights
come from make_reference_fixtures.make_weights (official names and TF layouts), written
as G, Gs (equal) and D. Gradients and the Adam result are stored in the same file layouts.

Needs PyTorch: the benchmark venv has it (bash ../shared/bench/setup_venv.sh .venv-torch):
    .venv-torch/bin/python tools/make_training_reference.py
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_reference_fixtures as ref  # noqa: E402  (weights, config keys, safetensors writer)

OUT = os.path.join(ref.ROOT, "Tests", "TrainingTests", "Fixtures")
SQRT2 = float(np.sqrt(2.0))
GAMMA = 10.0
CFG = dict(ref.BASE, resolution=8, fmapBase=32, fmapMax=8, latentSize=8, dlatentSize=8,
           mappingFmaps=8, mappingLayers=3, truncationCutoff=2)
BATCH = 4

# --- ops (NCHW, TF semantics at stride 1 / SAME); weights in TF layouts -------------------


def wscale(w, gain, lrmul=1.0):
    fan_in = int(np.prod(w.shape[:-1]))
    return w * (gain / np.sqrt(fan_in) * lrmul)


def lrelu(x):
    return F.leaky_relu(x, 0.2)


def conv(x, w_tf):
    """SAME cross-correlation, stride 1; w [kh, kw, in, out]."""
    w = w_tf.permute(3, 2, 0, 1)
    return F.conv2d(x, w, padding=w.shape[-1] // 2)


def blur(x):
    f = torch.tensor([1.0, 2.0, 1.0], dtype=x.dtype)
    k = torch.outer(f, f) / 16
    c = x.shape[1]
    return F.conv2d(x, k.expand(c, 1, 3, 3), padding=1, groups=c)


def up(x):
    return x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)


def down(x):
    return F.avg_pool2d(x, 2)


def bias(x, b, lrmul=1.0):
    return x + (b * lrmul if x.dim() == 2 else (b * lrmul).view(1, -1, 1, 1))


def instance_norm(x, eps=1e-8):
    x = x - x.mean(dim=(2, 3), keepdim=True)
    return x / torch.sqrt(x.square().mean(dim=(2, 3), keepdim=True) + eps)


def minibatch_stddev(x, group=4):
    n, c, h, w = x.shape
    g = min(group, n)
    y = x.reshape(g, n // g, c, h, w)
    y = torch.sqrt((y - y.mean(dim=0, keepdim=True)).square().mean(dim=0) + 1e-8)   # [M, c, h, w]
    y = y.mean(dim=(1, 2, 3)).view(1, n // g, 1, 1, 1).expand(g, n // g, 1, h, w).reshape(n, 1, h, w)
    return torch.cat([x, y], dim=1)

# --- networks at lod 0 ---------------------------------------------------------------------


def generator(p, z):
    x = z / torch.sqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)
    for i in range(CFG["mappingLayers"]):
        x = lrelu(bias(x @ wscale(p[f"G/mapping/Dense{i}/weight"], SQRT2, 0.01), p[f"G/mapping/Dense{i}/bias"], 0.01))
    w = x

    def epilogue(x, l):
        s = "G/synthesis/" + ref.layer_scope(l)
        x = x + p[f"G/synthesis/noise{l}"] * p[s + "/Noise/weight"].view(1, -1, 1, 1)
        x = instance_norm(lrelu(bias(x, p[s + "/bias"])))
        style = bias(w @ wscale(p[s + "/StyleMod/weight"], 1.0), p[s + "/StyleMod/bias"])
        c = x.shape[1]
        return x * (style[:, :c, None, None] + 1) + style[:, c:, None, None]

    x = p["G/synthesis/4x4/Const/const"].expand(z.shape[0], -1, -1, -1)
    x = epilogue(x, 0)
    x = epilogue(conv(x, wscale(p["G/synthesis/4x4/Conv/weight"], SQRT2)), 1)
    x = epilogue(blur(conv(up(x), wscale(p["G/synthesis/8x8/Conv0_up/weight"], SQRT2))), 2)
    x = epilogue(conv(x, wscale(p["G/synthesis/8x8/Conv1/weight"], SQRT2)), 3)
    return bias(conv(x, wscale(p["G/synthesis/ToRGB_lod0/weight"], 1.0)), p["G/synthesis/ToRGB_lod0/bias"])


def discriminator(p, img):
    x = lrelu(bias(conv(img, wscale(p["D/FromRGB_lod0/weight"], SQRT2)), p["D/FromRGB_lod0/bias"]))
    x = lrelu(bias(conv(x, wscale(p["D/8x8/Conv0/weight"], SQRT2)), p["D/8x8/Conv0/bias"]))
    x = lrelu(bias(down(conv(blur(x), wscale(p["D/8x8/Conv1_down/weight"], SQRT2))), p["D/8x8/Conv1_down/bias"]))
    x = minibatch_stddev(x, CFG["mbstdGroupSize"])
    x = lrelu(bias(conv(x, wscale(p["D/4x4/Conv/weight"], SQRT2)), p["D/4x4/Conv/bias"]))
    x = lrelu(bias(x.reshape(x.shape[0], -1) @ wscale(p["D/4x4/Dense0/weight"], SQRT2), p["D/4x4/Dense0/bias"]))
    return bias(x @ wscale(p["D/4x4/Dense1/weight"], 1.0), p["D/4x4/Dense1/bias"])


def main():
    raw = ref.make_weights(CFG, seed=808)
    weights = {}
    for k, v in raw.items():
        if k.startswith("Gs/"):
            weights["G/" + k[3:]] = v
        weights[k] = v
    p = {k: torch.tensor(v.astype(np.float64), requires_grad=k.startswith(("G/", "D/"))) for k, v in weights.items()
         if not k.startswith("Gs/")}
    g_names = sorted(k for k in p if k.startswith("G/") and "noise" not in k and k != "G/dlatent_avg")
    d_names = sorted(k for k in p if k.startswith("D/"))

    rs = np.random.RandomState(809)
    z = rs.standard_normal((BATCH, CFG["latentSize"])).astype(np.float32)
    reals = (rs.standard_normal((BATCH, 3, 8, 8)) * 0.5).astype(np.float32)
    z64 = torch.tensor(z, dtype=torch.float64)

    # D step: logistic on reals and (constant) fakes + gamma/2 * R1 on reals.
    fakes = generator(p, z64).detach()
    x = torch.tensor(reals, dtype=torch.float64, requires_grad=True)
    real_scores = discriminator(p, x)
    fake_scores = discriminator(p, fakes)
    logistic = F.softplus(fake_scores).mean() + F.softplus(-real_scores).mean()
    (grad_x,) = torch.autograd.grad(real_scores.sum(), x, create_graph=True)
    r1 = grad_x.square().sum() / BATCH
    total_d = logistic + r1 * (GAMMA * 0.5)
    grads_d = torch.autograd.grad(total_d, [p[k] for k in d_names], allow_unused=True)
    grads_d = [torch.zeros_like(p[k]) if g is None else g for k, g in zip(d_names, grads_d)]   # FromRGB_lod1 is unused at lod 0

    # One Adam step on D from zero state as TensorFlow's AdamOptimizer (the official one)
    # computes it: lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t), p -= lr_t * m / (sqrt(v) + eps),
    # epsilon outside the bias correction (PyTorch's Adam differs there).
    lr, b2, eps = 0.001, 0.99, 1e-8
    lr_t = lr * np.sqrt(1 - b2)
    adam_d = {}
    for k, g in zip(d_names, grads_d):
        v = (1 - b2) * g.square()
        adam_d[k] = p[k].detach() - lr_t * g / (torch.sqrt(v) + eps)

    # G step: non-saturating loss through D (D's weights receive no gradient).
    loss_g = F.softplus(-discriminator(p, generator(p, z64))).mean()
    grads_g = torch.autograd.grad(loss_g, [p[k] for k in g_names], allow_unused=True)
    grads_g = [torch.zeros_like(p[k]) if g is None else g for k, g in zip(g_names, grads_g)]   # ToRGB_lod1 is unused at lod 0

    io = {"z": z, "reals": reals, "fakes": fakes.numpy(), "real_scores": real_scores.detach().numpy(),
          "fake_scores": fake_scores.detach().numpy(), "grad_reals": grad_x.detach().numpy(),
          "loss_d_logistic": logistic.detach().numpy().reshape(1), "loss_d_r1": r1.detach().numpy().reshape(1),
          "loss_g": loss_g.detach().numpy().reshape(1)}
    io.update({"gradD/" + k[2:]: g.numpy() for k, g in zip(d_names, grads_d)})
    io.update({"gradG/" + k[2:]: g.numpy() for k, g in zip(g_names, grads_g)})
    io.update({"adamD/" + k[2:]: v.numpy() for k, v in adam_d.items()})
    for k, v in io.items():
        assert np.all(np.isfinite(v)), k

    os.makedirs(OUT, exist_ok=True)
    wmeta = {"format": "stylegan-swift", "config": __import__("json").dumps({k: CFG[k] for k in ref.CONFIG_KEYS})}
    iometa = {"format": "stylegan-swift-training-reference", "gamma": str(GAMMA), "batch": str(BATCH),
              "description": "PyTorch float64 autograd of one StyleGAN v1 training step at lod 0 (see "
                             "tools/make_training_reference.py): D logistic + gamma/2 R1 with double backward, "
                             "grad_x sum D(reals), gradients of D and G (file layouts), one Adam step on D."}
    for suffix, tensors, meta in (("weights", weights, wmeta), ("io", io, iometa)):
        path = os.path.join(OUT, f"training8.{suffix}.safetensors")
        ref.write_safetensors(path, tensors, meta)
        print(f"wrote {os.path.relpath(path, ref.ROOT)} ({os.path.getsize(path)} bytes, {len(tensors)} tensors)")
    print(f"loss_d logistic {logistic.item():.6f} r1 {r1.item():.6f} loss_g {loss_g.item():.6f}")


if __name__ == "__main__":
    sys.exit(main())
