#!/usr/bin/env bash
# Compiles every C kernel file for aarch64 (Linux) with the Swift toolchain's clang: the
# portable level must build without x86 intrinsics or flags. No aarch64 sysroot is
# installed, so the host's x86-64 glibc headers stand in for aarch64's (plus an empty
# gnu/stubs-32.h, which glibc's x86 stubs.h asks for on a non-x86_64 target): this checks
# that the sources compile and generate aarch64 code, not that they link or run there.
# The CKernelsAVX2 / CKernelsAVX512 wrappers are included: off x86-64 they must be empty.
set -euo pipefail
cd "$(dirname "$0")/.."
clang=${CLANG:-/opt/swift/usr/bin/clang}
[ -x "$clang" ] || clang=$(command -v clang)
shim=$(mktemp -d)
trap 'rm -rf "$shim"' EXIT
mkdir -p "$shim/gnu" && : > "$shim/gnu/stubs-32.h"
status=0
for f in Sources/CKernels/*.c Sources/CKernelsAVX2/*.c Sources/CKernelsAVX512/*.c; do
    if ! "$clang" --target=aarch64-linux-gnu -O3 -fopenmp -ffp-contract=fast -Werror -Wall \
        -I Sources/CKernels/include -idirafter "$shim" -idirafter /usr/include \
        -idirafter /usr/include/x86_64-linux-gnu -c "$f" -o /dev/null; then
        echo "check-aarch64: $f does not compile for aarch64" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "check-aarch64: every C kernel file compiles for aarch64-linux-gnu"
exit "$status"
