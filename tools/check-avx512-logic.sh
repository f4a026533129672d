#!/usr/bin/env bash
# Runs the AVX-512 level's 16-wide code on a CPU without AVX-512: the CKernelsAVX512 files
# are compiled with CK_TEST_VW=16 but AVX2 + FMA instructions (each 512-bit vector
# operation becomes two 256-bit ones), kernel_level.c with CK_TEST_ASSUME_AVX512 so the
# avx512 level can be chosen, and tools/avx512_logic_check.c compares every level's conv
# passes (all paths), upfirdn2d, epilogue, element-wise and Adam against the naive twins
# or the portable level. This checks the vector-width logic, not the AVX-512 instructions
# (on an AVX-512 CPU, swift test runs the real ones). x86-64 with AVX2 only; ~1 minute.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(uname -m)" != x86_64 ] || ! grep -qw avx2 /proc/cpuinfo || ! grep -qw fma /proc/cpuinfo; then
    echo "check-avx512-logic: skipped (needs x86-64 with AVX2 + FMA)"
    exit 0
fi
clang=${CLANG:-/opt/swift/usr/bin/clang}
[ -x "$clang" ] || clang=$(command -v clang)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags=(-fopenmp -O2 -ffp-contract=fast -I Sources/CKernels/include -I Sources/CKernels)
for f in Sources/CKernels/*.c; do
    "$clang" "${flags[@]}" -DCK_TEST_ASSUME_AVX512 -c "$f" -o "$out/base_$(basename "$f").o" &
done
wait
for f in Sources/CKernelsAVX2/*.c; do "$clang" "${flags[@]}" -mavx2 -mfma -c "$f" -o "$out/avx2_$(basename "$f").o" & done
wait
for f in Sources/CKernelsAVX512/*.c; do
    "$clang" "${flags[@]}" -mavx2 -mfma -DCK_TEST_VW=16 -Wno-psabi -c "$f" -o "$out/avx512_$(basename "$f").o" &
done
wait
"$clang" "${flags[@]}" -c tools/avx512_logic_check.c -o "$out/main.o"
"$clang" "$out"/*.o -L/usr/lib/x86_64-linux-gnu/openblas-openmp -lopenblas -lomp5 -lm -o "$out/check"
OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} "$out/check"
