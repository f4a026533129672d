#!/usr/bin/env python3
"""Writes the seed corpora of tools/fuzz/corpus/<target>/ (python3 + NumPy; deterministic).

    python3 tools/fuzz/make_corpus.py            # rewrites every corpus directory
    python3 tools/fuzz/make_corpus.py png jpeg   # only these

Each corpus holds a few valid and a few broken inputs, every file well under 20 KB:

  png          the PNG fixtures of Tests/IOTests/Fixtures plus generated ones (1-bit gray,
               4-bit palette with tRNS, RGB with gAMA, no IEND) and broken ones (truncated,
               bad CRC, zero width, IDAT that is not zlib)
  jpeg         the JPEG fixtures (baseline RGB, progressive, gray, CMYK) plus truncated and
               corrupted variants
  safetensors  the safetensors fixture plus generated files (every dtype, scalar and empty
               tensors, metadata only, checksum) and broken ones (length past the end,
               overlap, gap, trailing bytes, unknown dtype, duplicate key, invalid UTF-8, bad
               checksum, negative and fractional dimensions)
  weights      tiny valid weights files (names and shapes from the converter's
               expected_generator / expected_discriminator, the same table the Swift loader
               is tested against) and broken ones (missing / unknown / mis-shaped tensor,
               bad config JSON, out-of-range config, wrong format, lod out of range, bad
               checksum)
  npy          the .npy and .npz fixtures of Tests/IOTests/Fixtures/numpy (numpy-made and
               ours, valid and refused) plus truncated, mis-versioned and garbled variants
  pickle       tiny official-layout pickles built with tools/test_convert_official_pickle.py
               (protocols 0, 2, 4, 5) and hostile or broken ones (os.system payload,
               StyleGAN2 version, ProGAN, truncated, wrong structure, lod != 0, text)
"""

import json
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TOOLS = os.path.join(ROOT, "tools")
IO_FIXTURES = os.path.join(ROOT, "Tests", "IOTests", "Fixtures")
CORPUS = os.path.join(HERE, "corpus")
LIMIT = 20 * 1024


def fixture(name):
    with open(os.path.join(IO_FIXTURES, name), "rb") as f:
        return f.read()


# --------------------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------------------

def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(width, height, depth, color, rows, extra=(), iend=True):
    """rows: raw scanline bytes without filter bytes (filter 0 is added)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    raw = b"".join(b"\x00" + r for r in rows)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
    for kind, data in extra:
        out += chunk(kind, data)
    out += chunk(b"IDAT", zlib.compress(raw, 9))
    if iend:
        out += chunk(b"IEND", b"")
    return out


def png_corpus():
    files = {}
    for name in sorted(os.listdir(IO_FIXTURES)):
        if name.endswith(".png"):
            files["fixture_" + name] = fixture(name)
    files["gray1.png"] = png(9, 3, 1, 0, [bytes([0b10110010, 0b10000000])] * 3)
    files["palette4_trns.png"] = png(3, 2, 4, 3, [bytes([0x01, 0x20]), bytes([0x21, 0x00])],
                                     extra=[(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255])), (b"tRNS", bytes([0, 128]))])
    files["rgb8_gama.png"] = png(2, 2, 8, 2, [bytes(range(6)), bytes(range(100, 106))],
                                 extra=[(b"gAMA", struct.pack(">I", 45455))])
    files["rgb8_no_iend.png"] = png(2, 1, 8, 2, [bytes([1, 2, 3, 4, 5, 6])], iend=False)
    rgb8 = fixture("rgb8.png")
    files["broken_truncated.png"] = rgb8[: len(rgb8) // 2]
    bad_crc = bytearray(rgb8)
    bad_crc[29] ^= 0xFF                      # last byte of the IHDR CRC
    files["broken_ihdr_crc.png"] = bytes(bad_crc)
    files["broken_zero_width.png"] = png(0, 2, 8, 2, [b"", b""])
    files["broken_idat_not_zlib.png"] = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0))
                                         + chunk(b"IDAT", b"this is not zlib data") + chunk(b"IEND", b""))
    files["broken_signature.png"] = b"\x89PNX" + rgb8[4:]
    return files


# --------------------------------------------------------------------------------------
# JPEG
# --------------------------------------------------------------------------------------

def jpeg_corpus():
    files = {}
    for name in ("jpeg_rgb.jpg", "jpeg_progressive.jpg", "jpeg_gray.jpg", "jpeg_cmyk.jpg"):
        files["fixture_" + name] = fixture(name)
    rgb = fixture("jpeg_rgb.jpg")
    prog = fixture("jpeg_progressive.jpg")
    files["broken_truncated_rgb.jpg"] = rgb[: len(rgb) // 2]
    files["broken_truncated_progressive.jpg"] = prog[: 2 * len(prog) // 3]
    sos = rgb.index(b"\xff\xda")
    corrupt = bytearray(rgb)
    for i in range(sos + 20, min(len(rgb) - 2, sos + 60), 7):
        corrupt[i] ^= 0x5A
    files["broken_scan_data.jpg"] = bytes(corrupt)
    files["broken_no_eoi.jpg"] = rgb[:-2]
    files["broken_soi_only.jpg"] = b"\xff\xd8\xff\xd9"
    return files


# --------------------------------------------------------------------------------------
# safetensors
# --------------------------------------------------------------------------------------

DTYPES = {"BOOL": "u1", "U8": "u1", "I8": "i1", "F8_E5M2": "u1", "F8_E4M3": "u1", "I16": "<i2", "U16": "<u2",
          "F16": "<f2", "BF16": "<u2", "I32": "<i4", "U32": "<u4", "F32": "<f4", "F64": "<f8", "I64": "<i8", "U64": "<u8"}


def safetensors(tensors, metadata=None, checksum=False, raw_header=None):
    """tensors: [(name, dtype, shape, bytes)] laid out in this order."""
    header, offset, data = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = dict(metadata)
    for name, dtype, shape, blob in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        data += blob
    if checksum:
        header.setdefault("__metadata__", {})["data_crc32"] = "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)
    text = raw_header if raw_header is not None else json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


def values(dtype, shape, seed):
    rng = np.random.RandomState(seed)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype == "BF16":
        return (rng.randn(n).astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
    if dtype in ("F16", "F32", "F64"):
        return rng.randn(n).astype(DTYPES[dtype]).tobytes()
    return rng.randint(0, 256, size=n * np.dtype(DTYPES[dtype]).itemsize).astype("u1").tobytes()


def safetensors_corpus():
    files = {"fixture_reference.safetensors": fixture("reference.safetensors")}
    files["all_dtypes.safetensors"] = safetensors(
        [("t_" + d.lower(), d, [2, 3], values(d, [2, 3], i)) for i, d in enumerate(DTYPES)], {"note": "every dtype"})
    files["scalar_empty_big_endian_names.safetensors"] = safetensors(
        [("scalar", "F32", [], values("F32", [], 1)), ("empty", "F16", [0, 4], b""),
         ("\u00e9t\u00e9/\u2603", "F32", [1, 1, 2], values("F32", [2], 2))],
        {"config": json.dumps({"a": [1, 2]}), "": "empty key", "quote\"\\": "esc\n\t\u0001"})
    files["metadata_only.safetensors"] = safetensors([], {"format": "x"})
    files["empty_header.safetensors"] = safetensors([], raw_header=b"{}")
    files["null_metadata.safetensors"] = safetensors([("a", "F32", [1], values("F32", [1], 3))],
                                                     raw_header=b'{"__metadata__":null,"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}}')
    files["checksum.safetensors"] = safetensors([("a", "F32", [2, 2], values("F32", [2, 2], 4)),
                                                 ("b", "BF16", [3], values("BF16", [3], 5))], {"k": "v"}, checksum=True)
    ok = safetensors([("a", "F32", [2], values("F32", [2], 6))])
    files["broken_length_past_end.safetensors"] = struct.pack("<Q", 4096) + ok[8:]
    files["broken_huge_length.safetensors"] = struct.pack("<Q", 2 ** 63 + 5) + ok[8:]
    files["broken_trailing_bytes.safetensors"] = ok + b"\x00\x00\x00\x00"
    files["broken_overlap.safetensors"] = safetensors(
        [], raw_header=b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}') + bytes(8)
    files["broken_gap.safetensors"] = safetensors(
        [], raw_header=b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}') + bytes(8)
    files["broken_dtype.safetensors"] = safetensors(
        [], raw_header=b'{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}') + bytes(16)
    files["broken_duplicate_key.safetensors"] = safetensors(
        [], raw_header=b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}') + bytes(1)
    files["broken_utf8.safetensors"] = safetensors([], raw_header=b'{"__metadata__":{"k":"\xff\xfe"}}')
    files["broken_checksum.safetensors"] = files["checksum.safetensors"][:-1] + b"\x01"
    files["broken_negative_dim.safetensors"] = safetensors(
        [], raw_header=b'{"a":{"dtype":"F32","shape":[-1,-4],"data_offsets":[0,16]}}') + bytes(16)
    files["broken_fraction_dim.safetensors"] = safetensors(
        [], raw_header=b'{"a":{"dtype":"F32","shape":[1.5e0,2],"data_offsets":[0,12]}}') + bytes(12)
    files["broken_overflow_shape.safetensors"] = safetensors(
        [], raw_header=b'{"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,0]}}')
    files["broken_json.safetensors"] = safetensors([], raw_header=b'{"a":{"dtype":"F32",,}')
    return files


# --------------------------------------------------------------------------------------
# Weights files
# --------------------------------------------------------------------------------------

def tiny_config(resolution):
    return {"resolution": resolution, "numChannels": 3, "latentSize": 4, "dlatentSize": 4, "mappingFmaps": 4,
            "mappingLayers": 2, "mappingLRMul": 0.01, "fmapBase": 8, "fmapDecay": 1.0, "fmapMax": 4,
            "mbstdGroupSize": 4, "truncationPsi": 0.7, "truncationCutoff": 8, "dlatentAvgBeta": 0.995,
            "styleMixingProb": 0.9}


def weights(config, networks=("Gs",), dtype="F32", lod="0", extra=None, drop=None, reshape=None, add=None,
            metadata=None, checksum=False, config_text=None):
    sys.path.insert(0, TOOLS)
    import convert_official_pickle as conv
    named = {}
    for net in networks:
        shapes = conv.expected_discriminator(config) if net == "D" else conv.expected_generator(config)
        for name, shape in shapes.items():
            named["%s/%s" % (net, name)] = list(shape)
    if drop:
        del named[drop]
    if reshape:
        named[reshape[0]] = reshape[1]
    if add:
        named[add] = [2]
    tensors = [(name, dtype, shape, values(dtype, shape, i)) for i, (name, shape) in enumerate(sorted(named.items()))]
    for name, shape in (extra or {}).items():
        tensors.append((name, "F32", shape, values("F32", shape, 99)))
    meta = {"format": "stylegan-swift", "config": config_text if config_text is not None else json.dumps(config, sort_keys=True)}
    if lod is not None:
        meta["lod"] = lod
    meta.update(metadata or {})
    return safetensors(tensors, meta, checksum=checksum)


def weights_corpus():
    c4, c8 = tiny_config(4), tiny_config(8)
    files = {
        "gs_4px.safetensors": weights(c4),
        "gs_4px_f16_checksum.safetensors": weights(c4, dtype="F16", checksum=True),
        "g_gs_d_8px_mid_fade.safetensors": weights(c8, ("G", "Gs", "D"), lod="0.5", extra={"train/step": [1]},
                                                   metadata={"training_state": "{\"kimg\":1.5}"}),
        "d_only_4px_no_lod.safetensors": weights(c4, ("D",), lod=None),
        "broken_missing_tensor.safetensors": weights(c4, drop="Gs/dlatent_avg"),
        "broken_unknown_tensor.safetensors": weights(c4, add="Gs/synthesis/8x8/Conv1/weight"),
        "broken_shape.safetensors": weights(c4, reshape=("Gs/synthesis/4x4/Conv/weight", [3, 3, 4, 5])),
        "broken_config_json.safetensors": weights(c4, config_text="{\"resolution\": 4,"),
        "broken_config_resolution.safetensors": weights(c4, config_text=json.dumps(dict(c4, resolution=6))),
        "broken_config_huge.safetensors": weights(c4, config_text=json.dumps(dict(c4, latentSize=2 ** 40, fmapMax=2 ** 31))),
        "broken_format.safetensors": weights(c4, metadata={"format": "stylegan-pytorch"}),
        "broken_lod.safetensors": weights(c8, lod="7"),
        "broken_checksum.safetensors": weights(c4, checksum=True)[:-2] + b"\x00\x00",
    }
    return files


# --------------------------------------------------------------------------------------
# Pickles
# --------------------------------------------------------------------------------------

def pickle_corpus():
    sys.path.insert(0, TOOLS)
    import test_convert_official_pickle as t
    spec4 = dict(resolution=4, num_channels=3, latent_size=4, dlatent_size=4, mapping_fmaps=4, mapping_layers=2,
                 fmap_base=8, fmap_max=4, mapping_lrmul=0.01)
    spec8 = dict(spec4, resolution=8, mapping_layers=1)
    files = {}
    for protocol in (0, 2, 4, 5):
        files["tiny4_p%d.pkl" % protocol] = t.dumps_official(t.tiny_model(seed=protocol, spec=spec4), protocol)
    files["tiny8_rich_kwargs_p4.pkl"] = t.dumps_official(t.tiny_model(seed=9, rich_kwargs=True, spec=spec8), 4)

    def variant(seed, change, protocol=4):
        model = t.tiny_model(seed=seed, spec=spec4)
        change(model)
        return t.dumps_official(model, protocol)

    files["broken_os_system_p2.pkl"] = variant(20, lambda m: m[1]["variables"].append(
        ("4x4/Evil/weight", t.SystemPayload("echo pwned"))), protocol=2)
    files["broken_version4.pkl"] = variant(21, lambda m: [st.update(version=4) for st in m])

    def progan(m):
        m[2].update(version=2, build_func_name="G_paper", components={})
    files["broken_progan.pkl"] = variant(22, progan)
    files["broken_lod.pkl"] = variant(23, lambda m: m[2]["variables"].__setitem__(0, ("lod", np.float32(0.5))))
    files["broken_shape.pkl"] = variant(24, lambda m: m[1]["variables"].__setitem__(
        1, (m[1]["variables"][1][0], np.zeros([1, 1, 3, 5], np.float32))))
    whole = files["tiny4_p4.pkl"]
    files["broken_truncated.pkl"] = whole[: len(whole) // 2]
    files["broken_torch_global.pkl"] = b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nq\x00."
    files["broken_dict.pkl"] = __import__("pickle").dumps({"G_ema": np.zeros(3, np.float32)}, protocol=4)
    files["broken_text.pkl"] = b"just some text\n"
    return files


def npy_corpus():
    files = {}
    folder = os.path.join(IO_FIXTURES, "numpy")
    for name in sorted(os.listdir(folder)):
        data = fixture(os.path.join("numpy", name))
        if len(data) <= 8192:                       # the target's max_len
            files["fixture_" + name] = data
    good = files["fixture_f4_2x3.npy"]
    files["broken_truncated.npy"] = good[:-5]
    files["broken_version9.npy"] = good[:6] + b"\x09\x00" + good[8:]
    files["broken_header_garbage.npy"] = good[:10] + b"[" + good[11:]
    files["broken_shape_huge.npy"] = good.replace(b"(2, 3), ", b"(2**62,),")
    archive = files["fixture_savez.npz"]
    files["broken_truncated.npz"] = archive[: len(archive) // 2]
    return files


TARGETS = {"png": png_corpus, "jpeg": jpeg_corpus, "safetensors": safetensors_corpus,
           "weights": weights_corpus, "npy": npy_corpus, "pickle": pickle_corpus}


def main(argv):
    names = argv or list(TARGETS)
    for name in names:
        files = TARGETS[name]()
        directory = os.path.join(CORPUS, name)
        os.makedirs(directory, exist_ok=True)
        for old in os.listdir(directory):
            os.unlink(os.path.join(directory, old))
        for file_name, data in sorted(files.items()):
            if len(data) >= LIMIT:
                raise SystemExit("%s/%s is %d bytes, over the %d-byte limit" % (name, file_name, len(data), LIMIT))
            with open(os.path.join(directory, file_name), "wb") as f:
                f.write(data)
        print("%-12s %2d files, largest %d bytes" % (name, len(files), max(len(d) for d in files.values())))


if __name__ == "__main__":
    main(sys.argv[1:])
