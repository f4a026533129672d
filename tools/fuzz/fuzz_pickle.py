#!/usr/bin/env python3
"""Fuzzes tools/convert_official_pickle.py: any input must be converted or refused with the
converter's own ConversionError; any other exception is a finding.

    python3 tools/fuzz/fuzz_pickle.py [libFuzzer flags] CORPUS_DIR... # coverage-guided (atheris)
    python3 tools/fuzz/fuzz_pickle.py --loop SECONDS ARTIFACT_DIR CORPUS_DIR...
    python3 tools/fuzz/fuzz_pickle.py --replay FILE...              # run inputs once, report

With atheris installed (pip install atheris) the converter is instrumented and driven by
libFuzzer (all libFuzzer flags apply: -max_total_time, -max_len, -rss_limit_mb, -timeout,
-artifact_prefix, ...). Without it, --loop runs a deterministic mutation loop (seeded
random.Random: bit flips, byte edits, inserts, deletes, splices between seeds, pickle
opcodes) over the seeds for SECONDS and writes failing inputs to ARTIFACT_DIR.

--loop and --replay cap the address space at 2 GiB (RLIMIT_AS) and count running out of
memory as a finding (under atheris, -rss_limit_mb does that). Every input is written to a scratch .pkl and converted twice, with --networks G,D,Gs and
with the default Gs, into a scratch output directory. A successful conversion must leave
exactly the output file; a refusal must leave nothing behind.
"""

import os
import random
import resource
import shutil
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.path.dirname(HERE)
sys.path.insert(0, TOOLS)

try:
    import atheris
except ImportError:
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["convert_official_pickle"]):
        import convert_official_pickle as conv
else:
    import convert_official_pickle as conv

# Inside run.sh's scratch directory when there is one: libFuzzer ends an atheris run with
# exit(), which skips main's `finally`, and run.sh removes its directory on exit.
SCRATCH = tempfile.mkdtemp(prefix="stylegan-fuzz-pickle-", dir=os.environ.get("STYLEGAN_FUZZ_SCRATCH"))
SOURCE = os.path.join(SCRATCH, "input.pkl")
OUT_DIR = os.path.join(SCRATCH, "out")
os.mkdir(OUT_DIR)
OUTPUT = os.path.join(OUT_DIR, "model.safetensors")


class Finding(Exception):
    """The converter broke its contract for this input."""


MEMORY_CAP = 2 << 30
memory_is_finding = False


def cap_memory():
    """Caps the address space so a runaway allocation fails instead of swamping the
    machine, and makes running out of memory a finding."""
    global memory_is_finding
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = MEMORY_CAP if hard == resource.RLIM_INFINITY else min(MEMORY_CAP, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    memory_is_finding = True


def quiet(*_args):
    pass


def check(data):
    """Raises Finding (or lets an unexpected exception through) when the contract breaks."""
    with open(SOURCE, "wb") as f:
        f.write(data)
    for networks in (("G", "D", "Gs"), ("Gs",)):
        for name in os.listdir(OUT_DIR):
            os.unlink(os.path.join(OUT_DIR, name))
        try:
            conv.convert(SOURCE, OUTPUT, networks=networks, log=quiet)
        except conv.ConversionError as e:
            if memory_is_finding and "out of memory" in str(e):
                raise Finding("needs more than %d GiB of address space: %s" % (MEMORY_CAP >> 30, e))
            left = os.listdir(OUT_DIR)
            if left:
                raise Finding("refused with --networks %s but left %s behind" % (",".join(networks), left))
            continue
        left = sorted(os.listdir(OUT_DIR))
        if left != ["model.safetensors"]:
            raise Finding("converted with --networks %s but the output directory holds %s" % (",".join(networks), left))


def test_one_input(data):
    check(bytes(data))


# --------------------------------------------------------------------------------------
# Fallback: deterministic mutation loop
# --------------------------------------------------------------------------------------

OPCODES = [b"(", b".", b"0", b"1", b"2", b"N", b"I", b"J", b"K", b"M", b"L", b"F", b"S", b"V", b"X", b"B", b"C",
           b"}", b"]", b")", b"t", b"\x85", b"\x86", b"\x87", b"e", b"a", b"s", b"u", b"b", b"R", b"c", b"\x93",
           b"\x94", b"h", b"j", b"q", b"r", b"p", b"g", b"\x80\x02", b"\x80\x04", b"\x95", b"\x8c", b"\x8d",
           b"\x8e", b"\x96", b"\x97", b"\x98", b"\xff\xff\xff\x7f", b"\x00\x00\x00\x80", b"cnumpy\nndarray\n",
           b"cbuiltins\nobject\n", b"ccopyreg\n_reconstructor\n", b"c__builtin__\neval\n"]


def mutate(rng, data, seeds, max_len):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(8)
        pos = rng.randrange(len(data) + 1)
        if choice == 0 and data:                                      # flip a bit
            i = rng.randrange(len(data))
            data[i] ^= 1 << rng.randrange(8)
        elif choice == 1 and data:                                    # set a byte
            data[rng.randrange(len(data))] = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
        elif choice == 2:                                             # insert random bytes
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif choice == 3 and data:                                    # delete a run
            del data[pos:pos + rng.randint(1, 16)]
        elif choice == 4:                                             # insert an opcode
            data[pos:pos] = rng.choice(OPCODES)
        elif choice == 5 and data:                                    # duplicate a run
            i = rng.randrange(len(data))
            data[pos:pos] = data[i:i + rng.randint(1, 64)]
        elif choice == 6:                                             # splice with another seed
            other = rng.choice(seeds)
            if other:
                j = rng.randrange(len(other))
                data = data[:pos] + other[j:j + rng.randint(1, 256)] + data[pos:]
        elif choice == 7 and data:                                    # truncate
            del data[rng.randrange(len(data)):]
    return bytes(data[:max_len])


def loop(seconds, artifact_dir, corpus_dirs, max_len=20000):
    seeds = []
    for directory in corpus_dirs:
        for name in sorted(os.listdir(directory)):
            with open(os.path.join(directory, name), "rb") as f:
                seeds.append(f.read())
    if not seeds:
        seeds = [b""]
    rng = random.Random(0x5EED)
    deadline = time.monotonic() + seconds
    runs = 0
    inputs = list(seeds)                                   # seeds first, then mutants
    while True:
        if runs < len(inputs):
            data = inputs[runs]
        else:
            if time.monotonic() >= deadline:
                break
            data = mutate(rng, rng.choice(seeds), seeds, max_len)
        runs += 1
        try:
            check(data)
        except Exception:                                  # noqa: BLE001 -- every other exception is a finding
            os.makedirs(artifact_dir, exist_ok=True)
            path = os.path.join(artifact_dir, "crash-pickle-%d.pkl" % runs)
            with open(path, "wb") as f:
                f.write(data)
            traceback.print_exc()
            print("==fuzz_pickle== FINDING after %d runs; input saved to %s" % (runs, path))
            return 1
    print("==fuzz_pickle== Done %d runs in %d second(s), no finding (mutation loop; atheris not installed)" % (runs, seconds))
    return 0


def replay(paths):
    status = 0
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        try:
            check(data)
            print("%s: ok (converted or refused with ConversionError)" % path)
        except Exception:                                  # noqa: BLE001
            traceback.print_exc()
            print("%s: FINDING" % path)
            status = 1
    return status


def main(argv):
    try:
        if argv[1:2] == ["--loop"]:
            cap_memory()
            return loop(float(argv[2]), argv[3], argv[4:])
        if argv[1:2] == ["--replay"]:
            cap_memory()
            return replay(argv[2:])
        if atheris is None:
            print("fuzz_pickle: atheris is not installed; use --loop (or pip install atheris)", file=sys.stderr)
            return 2
        atheris.Setup(argv, test_one_input)
        atheris.Fuzz()
        return 0
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
