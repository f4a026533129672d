#!/usr/bin/env python3
"""Generate the tiny PNG and safetensors fixtures used by Tests/IOTests.

Usage (from the package root):

    pip install numpy safetensors
    python3 tools/make_io_fixtures.py            # writes Tests/IOTests/Fixtures/

The outputs are deterministic in content (no randomness, no timestamps). The PNGs
come out byte for byte the same with the same zlib; reference.safetensors may not,
because the Rust writer behind `safetensors` emits the __metadata__ keys in hash-map
order, which changes between runs (the tests do not depend on that order).
Everything together is about 2.4 KB.

PNG fixtures are written by the small encoder below (struct + zlib only, one IDAT,
filter type 0, no gAMA/sRGB/iCCP chunks) so that the expected values are exactly
the stored samples. The Swift tests recompute every expected value from the same
formulas, so there is no separate "expected values" file:

  8-bit samples   v8(x, y, c)  = (37*x + 101*y + 59*c + 11) % 256
  16-bit samples  v16(x, y, c) = (7919*x + 15331*y + 20011*c + 123) % 65536
  8-bit alpha     a8(x, y)     = 0, 255, (41*x + 67*y) % 256       for (x + y) % 3 = 0, 1, 2
  16-bit alpha    a16(x, y)    = 0, 65535, (3001*x + 17011*y) % 65536  likewise
  (alpha 0 pixels check that colour is returned as stored, not premultiplied)
  c = 0 for gray; c = 0, 1, 2 for R, G, B.

  file                  size (w x h)   PNG color type / depth
  gray8.png             5 x 3          0 / 8     sample v8(x, y, 0)
  graya8.png            4 x 7          4 / 8     gray v8(x, y, 0), alpha a8
  rgb8.png              5 x 3          2 / 8     v8(x, y, c)
  rgba8.png             4 x 7          6 / 8     v8(x, y, c), alpha a8
  palette8.png          5 x 3          3 / 8     index (x + 2*y) % 6 into PALETTE,
                                                  tRNS gives alpha for entries 0..3
                                                  only (4 and 5 are opaque)
  gray2.png             5 x 3          0 / 2     sample (x + 2*y) % 4 (read as 85 times that)
  rgb8_adam7.png        7 x 5          2 / 8     v8(x, y, c), Adam7-interlaced
  gray16.png            5 x 3          0 / 16    v16(x, y, 0)
  rgb16.png             4 x 7          2 / 16    v16(x, y, c)
  rgba16.png            5 x 3          6 / 16    v16(x, y, c), alpha a16
  too_large.png         40000 x 40000  2 / 8     valid signature + IHDR, a tiny IDAT
                                                  and IEND: a reader must refuse it
                                                  from the header, before allocating

  PALETTE (RGB) = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (12, 34, 56),
                   (200, 100, 50), (1, 2, 3)]
  TRNS          = [0, 128, 255, 77]

safetensors fixture (written by the `safetensors` Python package, numpy API):

  reference.safetensors, metadata {"format": "np", "config": CONFIG_JSON, "name": NAME}
  every tensor holds base + step * k at flat (row-major) index k:

  name              dtype  shape         base    step
  scalar            F32    []            3.5     0
  vector            F32    [5]          -1.0     0.25
  matrix            F32    [3, 4]        0.5     1.5
  conv.weight       F32    [2, 3, 3, 3]  -2.0    0.125
  empty             F32    [0, 3]        -        -
  half              F16    [2, 5]        -1.0    0.375   (exact in F16)
"""

import json
import os
import struct
import sys
import zlib

import numpy as np
from safetensors.numpy import save_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "IOTests", "Fixtures")

PALETTE = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (12, 34, 56), (200, 100, 50), (1, 2, 3)]
TRNS = [0, 128, 255, 77]

# Raw UTF-8 in the header (serde_json does not escape non-ASCII).
NAME = "tiny-g\u00e9n\u00e9rateur \u2713"

CONFIG_JSON = json.dumps(
    {"resolution": 8, "latent_size": 4, "fmaps": [16, 8], "note": "quote \" and unicode \u00e9"},
    sort_keys=True,
)


def v8(x, y, c):
    return (37 * x + 101 * y + 59 * c + 11) % 256


def a8(x, y):
    return (0, 255, (41 * x + 67 * y) % 256)[(x + y) % 3]


def v16(x, y, c):
    return (7919 * x + 15331 * y + 20011 * c + 123) % 65536


def a16(x, y):
    return (0, 65535, (3001 * x + 17011 * y) % 65536)[(x + y) % 3]


def chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bytes(width, height, color_type, depth, rows, extra_chunks=(), interlace=0):
    """rows: list of bytes objects (already packed samples, no filter byte); for an
    interlaced image, the rows of all seven Adam7 passes one after another."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    for kind, payload in extra_chunks:
        out += chunk(kind, payload)
    out += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    return out


def samples_png(width, height, color_type, depth, pixel):
    """pixel(x, y) -> tuple of integer samples for that pixel."""
    fmt = ">%dB" if depth == 8 else ">%dH"
    rows = []
    for y in range(height):
        values = [s for x in range(width) for s in pixel(x, y)]
        rows.append(struct.pack(fmt % len(values), *values))
    return png_bytes(width, height, color_type, depth, rows)


# Adam7 passes: (x start, y start, x step, y step).
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def adam7_png(width, height, color_type, pixel):
    """8-bit interlaced PNG; pixel(x, y) -> tuple of samples."""
    rows = []
    for x0, y0, dx, dy in ADAM7:
        xs = range(x0, width, dx)
        for y in range(y0, height, dy):
            if len(xs):
                rows.append(bytes(s for x in xs for s in pixel(x, y)))
    return png_bytes(width, height, color_type, 8, rows, interlace=1)


def gray2_png(width, height, sample):
    """2-bit gray: four samples per byte, most significant first, rows padded."""
    rows = []
    for y in range(height):
        values = [sample(x, y) for x in range(width)] + [0] * 3
        rows.append(bytes(values[i] << 6 | values[i + 1] << 4 | values[i + 2] << 2 | values[i + 3]
                          for i in range(0, width, 4)))
    return png_bytes(width, height, 0, 2, rows)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def make_pngs():
    write("gray8.png", samples_png(5, 3, 0, 8, lambda x, y: (v8(x, y, 0),)))
    write("graya8.png", samples_png(4, 7, 4, 8, lambda x, y: (v8(x, y, 0), a8(x, y))))
    write("rgb8.png", samples_png(5, 3, 2, 8, lambda x, y: tuple(v8(x, y, c) for c in range(3))))
    write("rgba8.png", samples_png(4, 7, 6, 8,
                                   lambda x, y: tuple(v8(x, y, c) for c in range(3)) + (a8(x, y),)))
    write("gray2.png", gray2_png(5, 3, lambda x, y: (x + 2 * y) % 4))
    write("rgb8_adam7.png", adam7_png(7, 5, 2, lambda x, y: tuple(v8(x, y, c) for c in range(3))))
    write("gray16.png", samples_png(5, 3, 0, 16, lambda x, y: (v16(x, y, 0),)))
    write("rgb16.png", samples_png(4, 7, 2, 16, lambda x, y: tuple(v16(x, y, c) for c in range(3))))
    write("rgba16.png", samples_png(5, 3, 6, 16,
                                    lambda x, y: tuple(v16(x, y, c) for c in range(3)) + (a16(x, y),)))

    plte = bytes(v for rgb in PALETTE for v in rgb)
    rows = [bytes((x + 2 * y) % len(PALETTE) for x in range(5)) for y in range(3)]
    write("palette8.png", png_bytes(5, 3, 3, 8, rows, [(b"PLTE", plte), (b"tRNS", bytes(TRNS))]))

    # Header claims 40000 x 40000 RGB; the data is one tiny row. Readers must reject
    # it on the dimensions alone.
    ihdr = struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)
    big = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
           + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b""))
    write("too_large.png", big)


def ramp(shape, base, step, dtype):
    n = int(np.prod(shape)) if len(shape) else 1
    return (base + step * np.arange(n, dtype=np.float64)).astype(dtype).reshape(shape)


def make_safetensors():
    tensors = {
        "scalar": np.array(3.5, dtype=np.float32),
        "vector": ramp((5,), -1.0, 0.25, np.float32),
        "matrix": ramp((3, 4), 0.5, 1.5, np.float32),
        "conv.weight": ramp((2, 3, 3, 3), -2.0, 0.125, np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "half": ramp((2, 5), -1.0, 0.375, np.float16),
    }
    assert tensors["scalar"].shape == ()
    save_file(tensors, os.path.join(OUT, "reference.safetensors"),
              metadata={"format": "np", "config": CONFIG_JSON, "name": NAME})


def main():
    os.makedirs(OUT, exist_ok=True)
    make_pngs()
    make_safetensors()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote fixtures to %s (%d bytes total)" % (OUT, total))
    if total > 20 * 1024:
        sys.exit("fixtures are larger than 20 KB")


if __name__ == "__main__":
    main()
