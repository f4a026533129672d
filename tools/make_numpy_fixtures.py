#!/usr/bin/env python3
"""Writes the NumPy fixtures of Tests/IOTests/Fixtures/numpy/ with real numpy (2.x), and
checks with numpy the files our Swift writer made there.

    python3 tools/make_numpy_fixtures.py            # rewrite the numpy-made fixtures
    python3 tools/make_numpy_fixtures.py --verify   # np.load every ours_* file and check it

The values follow formulas that Tests/IOTests/NumpyArrayTests.swift repeats:
ramp(n, base, step)[k] = base + step * k, computed in float64 and cast (as astype does).

numpy-made (read by the tests; those marked = are also compared byte for byte with our
encoding of the same array):
  f4_2x3.npy (=), f4_2x3x4.npy (=), f4_scalar.npy (=), i8_seeds.npy (=), f4_empty_0x4.npy (=)
  f8_3.npy, be_f4.npy, f2.npy, v2.npy, v3.npy, u4_seeds.npy, i2.npy
  savez.npz, savez_compressed.npz, zip64.npz (the z array in a hand-made archive that
  uses every ZIP64 field: sizes, offset, end record; checked with zipfile and np.load)
  refused: fortran.npy, object.npy, structured.npy, nan.npy, inf_f8.npy, c8.npy,
           not_npy_member.npz (np.savez plus a text member),
           bomb_small_declared.npz (a deflated 1 MiB member whose central directory claims
           1000 bytes), bomb_huge_declared.npz (one claiming 4 GiB)

ours_*: written by the Swift writer (swift test with STYLEGAN_WRITE_NUMPY_FIXTURES set to
this folder, see NumpyArrayTests.testWritesFixturesForNumpy) and checked here by --verify.
"""

import io
import os
import sys
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED_TIME = (1980, 1, 1, 0, 0, 0)   # zip timestamps, so rerunning the script changes nothing
OUT = os.path.join(os.path.dirname(HERE), "Tests", "IOTests", "Fixtures", "numpy")


def ramp(n, base, step, dtype):
    return (base + step * np.arange(n, dtype=np.float64)).astype(dtype)


def z_latents():
    return ramp(8, -1.0, 0.3125, np.float32).reshape(2, 4)


def seeds():
    return np.array([0, 1, 2**40, -7], dtype=np.int64)


def write_fixtures():
    os.makedirs(OUT, exist_ok=True)

    def save(name, array, **kwargs):
        np.save(os.path.join(OUT, name), array, **kwargs)

    save("f4_2x3.npy", ramp(6, -1.0, 0.5, np.float32).reshape(2, 3))
    save("f4_2x3x4.npy", ramp(24, 0.25, -0.125, np.float32).reshape(2, 3, 4))
    save("f4_scalar.npy", np.float32(3.5))
    save("f4_empty_0x4.npy", np.zeros((0, 4), dtype=np.float32))
    save("i8_seeds.npy", seeds())
    save("f8_3.npy", np.array([0.1, -2.5, 1e30]))                       # numpy's default float64
    save("be_f4.npy", ramp(4, 1.0, 0.75, ">f4").reshape(2, 2))
    save("f2.npy", ramp(5, -2.0, 0.625, np.float16))
    save("u4_seeds.npy", np.array([0, 123, 4294967295], dtype=np.uint32))
    save("i2.npy", np.array([-32768, 5, 32767], dtype=np.int16))
    for version, name in [((2, 0), "v2.npy"), ((3, 0), "v3.npy")]:
        with open(os.path.join(OUT, name), "wb") as f:
            np.lib.format.write_array(f, ramp(6, -1.0, 0.5, np.float32).reshape(3, 2), version=version)

    np.savez(os.path.join(OUT, "savez.npz"), z=z_latents(), seeds=seeds())
    np.savez_compressed(os.path.join(OUT, "savez_compressed.npz"), z=z_latents(), seeds=seeds())

    save("fortran.npy", np.asfortranarray(ramp(6, 0.0, 1.0, np.float32).reshape(2, 3)))
    save("object.npy", np.array([1, "two", None], dtype=object), allow_pickle=True)
    save("structured.npy", np.zeros(2, dtype=[("x", "<f4"), ("y", "<i8")]))
    save("nan.npy", np.array([1.0, np.nan, 3.0], dtype=np.float32))
    save("inf_f8.npy", np.array([1.0, 1e300]))                         # finite float64, not float32
    save("c8.npy", np.zeros(2, dtype=np.complex64))
    buffer = io.BytesIO()
    np.savez(buffer, z=z_latents())
    with zipfile.ZipFile(buffer, "a") as zf:
        zf.writestr(zipfile.ZipInfo("readme.txt", FIXED_TIME), "not an array\n")
    with open(os.path.join(OUT, "not_npy_member.npz"), "wb") as f:
        f.write(buffer.getvalue())
    with open(os.path.join(OUT, "zip64.npz"), "wb") as f:
        f.write(zip64_archive())
    with np.load(os.path.join(OUT, "zip64.npz")) as archive:
        assert archive.files == ["z"] and np.array_equal(archive["z"], z_latents())
    for name, claimed in [("bomb_small_declared.npz", 1000), ("bomb_huge_declared.npz", 0xFFFFFFF0)]:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(lying_zip(claimed))
    print(f"wrote {len(os.listdir(OUT))} files to {OUT}")


def zip64_archive():
    """z.npy stored, its central entry's sizes and offset all in a ZIP64 extra field, and
    the end record's count, size and offset in a ZIP64 end record."""
    import struct
    member = io.BytesIO()
    np.save(member, z_latents())
    data = member.getvalue()
    crc = zipfile.crc32(data) & 0xFFFFFFFF
    name = b"z.npy"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, len(data), len(data), len(name), 0) + name
    extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), 0)
    central = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 0x032D, 45, 0, 0, 0, 0x21, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0o100644 << 16, 0xFFFFFFFF)
    central += name + extra
    directory_offset = len(local) + len(data)
    end64_offset = directory_offset + len(central)
    end64 = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x032D, 45, 0, 0, 1, 1, len(central), directory_offset)
    locator = struct.pack("<IIQI", 0x07064B50, 0, end64_offset, 1)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    archive = local + data + central + end64 + locator + end
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        assert zf.testzip() is None and zf.read("z.npy") == data
    return archive


def lying_zip(claimed_size):
    """A zip of one deflated member, big.npy (1 MiB of zeros as float32), whose local and
    central headers claim `claimed_size` uncompressed bytes."""
    member = io.BytesIO()
    np.save(member, np.zeros((512, 512), dtype=np.float32))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("big.npy", FIXED_TIME), member.getvalue(), zipfile.ZIP_DEFLATED)
    data = bytearray(buffer.getvalue())
    real = len(member.getvalue()).to_bytes(4, "little")
    for signature, offset in [(b"PK\x03\x04", 22), (b"PK\x01\x02", 24)]:
        at = data.index(signature)
        assert data[at + offset:at + offset + 4] == real
        data[at + offset:at + offset + 4] = claimed_size.to_bytes(4, "little")
    return bytes(data)


def verify_ours():
    """The files our writer made load in numpy with the expected dtype, shape and values,
    and the .npy ones are byte-identical to np.save's output for the same array."""
    expected = {
        "ours_f4_2x3.npy": ramp(6, -1.0, 0.5, np.float32).reshape(2, 3),
        "ours_f4_2x3x4.npy": ramp(24, 0.25, -0.125, np.float32).reshape(2, 3, 4),
        "ours_f4_scalar.npy": np.array(np.float32(3.5)),
        "ours_i8_seeds.npy": seeds(),
        "ours_w_1x14x512.npy": ramp(14 * 512, -3.0, 0.001, np.float32).reshape(1, 14, 512),
    }
    failures = 0
    for name, want in expected.items():
        path = os.path.join(OUT, name)
        got = np.load(path, allow_pickle=False)
        buffer = io.BytesIO()
        np.save(buffer, want)
        ok = got.dtype == want.dtype and got.shape == want.shape and np.array_equal(got, want)
        same_bytes = open(path, "rb").read() == buffer.getvalue()
        print(f"{name}: {'ok' if ok else 'WRONG VALUES'}{'' if same_bytes else ', bytes differ from np.save'}")
        failures += (not ok) + (not same_bytes)
    for name in ["ours_savez.npz", "ours_savez_compressed.npz"]:
        with np.load(os.path.join(OUT, name), allow_pickle=False) as archive:
            ok = (list(archive.files) == ["z", "seeds"]
                  and archive["z"].dtype == np.float32 and np.array_equal(archive["z"], z_latents())
                  and archive["seeds"].dtype == np.int64 and np.array_equal(archive["seeds"], seeds()))
        with zipfile.ZipFile(os.path.join(OUT, name)) as zf:
            ok = ok and zf.testzip() is None
            methods = {info.compress_type for info in zf.infolist()}
        want_method = zipfile.ZIP_DEFLATED if "compressed" in name else zipfile.ZIP_STORED
        ok = ok and methods == {want_method}
        print(f"{name}: {'ok' if ok else 'WRONG'}")
        failures += not ok
    if failures:
        sys.exit(f"{failures} check(s) failed")
    print("all files our writer made load in numpy as expected")


if __name__ == "__main__":
    if sys.argv[1:] == ["--verify"]:
        verify_ours()
    elif sys.argv[1:]:
        sys.exit(__doc__)
    else:
        write_fixtures()
