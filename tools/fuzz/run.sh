#!/usr/bin/env bash
# Builds the fuzz harnesses of tools/fuzz/ and runs each for a while (see README.md).
#
#   tools/fuzz/run.sh [SECONDS_PER_TARGET]          # default 20; all targets
#   tools/fuzz/run.sh 0                             # build, run the seeds and crash inputs once
#   FUZZ_TARGETS="jpeg weights" tools/fuzz/run.sh 600
#
# Targets: png jpeg safetensors weights npy (libFuzzer + AddressSanitizer, Swift and C built
# here with swiftc/clang from the Swift toolchain) and pickle (atheris, or a deterministic
# mutation loop when atheris cannot be installed). Inputs in tools/fuzz/crashes/<target>-*
# are replayed first, as regression inputs. Exits non-zero if any target crashes (or
# times out, runs out of memory, breaks an oracle), printing the crashing input's path.
#
# Environment: FUZZ_TARGETS (subset, space-separated), FUZZ_BUILD_DIR (default
# <repo>/.build-fuzz; binaries, working corpora, new crash inputs), FUZZ_SKIP_DEPS=1
# (do not try to install anything).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
seconds=${1:-20}
targets=${FUZZ_TARGETS:-png jpeg safetensors weights npy pickle}
build=${FUZZ_BUILD_DIR:-$repo/.build-fuzz}
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac

say() { echo "fuzz: $*"; }
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

# ----------------------------------------------------------------------------------------
# Tools and libraries
# ----------------------------------------------------------------------------------------

swiftc=$(command -v swiftc || true)
[ -n "$swiftc" ] || { echo "fuzz: swiftc not found on PATH (the Swift toolchain is required)" >&2; exit 1; }
clang="$(dirname "$swiftc")/clang"
[ -x "$clang" ] || clang=$(command -v clang)

needs_libfuzzer=0
for t in $targets; do case "$t" in png|jpeg|safetensors|weights|npy) needs_libfuzzer=1 ;; esac; done

if [ "$needs_libfuzzer" = 1 ]; then
    if [ "${FUZZ_SKIP_DEPS:-0}" != 1 ]; then
        bash "$repo/tools/install-deps.sh" >/dev/null   # libpng, libjpeg-turbo, OpenBLAS, libomp (skips apt when present)
    fi
    # libFuzzer's runtime ships with the Swift toolchain's clang on Linux; swiftc's
    # -sanitize=fuzzer links that copy, so a Debian libclang-rt package would not help.
    resource=$("$clang" -print-resource-dir)
    if ! ls "$resource"/lib/linux/libclang_rt.fuzzer*.a "$resource"/lib/*/libclang_rt.fuzzer*.a >/dev/null 2>&1; then
        echo "fuzz: the Swift toolchain's clang ($clang) has no libFuzzer runtime (libclang_rt.fuzzer) in $resource;" >&2
        echo "fuzz: install a swift.org toolchain for Linux (they include it)" >&2
        exit 1
    fi
fi

pickle_mode=""
if [[ " $targets " == *" pickle "* ]]; then
    if ! python3 -c "import numpy" 2>/dev/null && [ "${FUZZ_SKIP_DEPS:-0}" != 1 ]; then
        python3 -m pip install -q numpy </dev/null || true
    fi
    python3 -c "import numpy" 2>/dev/null || { echo "fuzz: python3 with NumPy is required for the pickle target" >&2; exit 1; }
    if ! python3 -c "import atheris" 2>/dev/null && [ "${FUZZ_SKIP_DEPS:-0}" != 1 ]; then
        say "installing atheris (pip)"
        python3 -m pip install -q atheris </dev/null >/dev/null 2>&1 \
            || python3 -m pip install -q --break-system-packages atheris </dev/null >/dev/null 2>&1 || true
    fi
    if python3 -c "import atheris" 2>/dev/null; then pickle_mode=atheris; else
        pickle_mode=loop
        say "atheris is not available: the pickle target runs the deterministic mutation loop"
    fi
fi

# ----------------------------------------------------------------------------------------
# Build (skipped when nothing that goes into the binaries changed)
# ----------------------------------------------------------------------------------------

bin="$build/bin"
obj="$build/obj"
mkdir -p "$bin" "$obj" "$build/modules"
swift_targets=()
for t in $targets; do case "$t" in png|jpeg|safetensors|weights|npy) swift_targets+=("$t") ;; esac; done

stamp_of() {
    {
        "$swiftc" --version 2>&1
        cat "$here/run.sh"
        find "$repo/Sources" "$here/harness" -type f \( -name '*.swift' -o -name '*.c' -o -name '*.h' -o -name '*.modulemap' \) \
            -print0 | sort -z | xargs -0 sha256sum
    } | sha256sum | cut -d' ' -f1
}

build_all() {
    local log="$build/build.log"
    : > "$log"
    local started=$SECONDS

    # Module maps for the C targets (SwiftPM generates these; system libraries have theirs
    # in Sources/<name>/module.modulemap). Libraries as in Package.swift's linkerSettings.
    mkdir -p "$build/modules/CJPEG" "$build/modules/CKernels"
    printf 'module CJPEG {\n    header "%s"\n    link "jpeg"\n    export *\n}\n' \
        "$repo/Sources/CJPEG/include/CJPEG.h" > "$build/modules/CJPEG/module.modulemap"
    printf 'module CKernels {\n    header "%s"\n    link "omp5"\n    link "openblas"\n    export *\n}\n' \
        "$repo/Sources/CKernels/include/CKernels.h" > "$build/modules/CKernels/module.modulemap"
    local includes=(-I "$obj")
    for d in "$repo"/Sources/C*/; do [ -f "$d/module.modulemap" ] && includes+=(-I "$d"); done
    includes+=(-Xcc "-fmodule-map-file=$build/modules/CJPEG/module.modulemap"
               -Xcc "-fmodule-map-file=$build/modules/CKernels/module.modulemap")
    # -O as Package.swift builds these modules; -g for symbolised stacks.
    local swiftflags=(-parse-as-library -wmo -O -g -Xcc -Wno-everything "${includes[@]}")
    local fuzzed=(-sanitize=fuzzer,address)    # coverage + ASan: code under test
    local asan=(-sanitize=address)             # ASan only: the tensor layer the loader calls

    module() {   # name sanitizer-flags... -- sources...
        local name=$1; shift
        local flags=()
        while [ "$1" != "--" ]; do flags+=("$1"); shift; done
        shift
        "$swiftc" "${swiftflags[@]}" "${flags[@]}" -module-name "$name" -emit-module \
            -emit-module-path "$obj/$name.swiftmodule" -c -o "$obj/$name.o" "$@"
    }
    local weights=0
    for t in "${swift_targets[@]}"; do [ "$t" = weights ] && weights=1; done

    # C: the JPEG glue is fuzzed (coverage + ASan); the kernels get ASan only.
    "$clang" -c -O1 -g -fsanitize=fuzzer-no-link,address -I "$repo/Sources/CJPEG/include" \
        "$repo/Sources/CJPEG/jpeg_decode.c" -o "$obj/CJPEG.o" >>"$log" 2>&1
    local pids=()
    if [ "$weights" = 1 ]; then
        # The three kernel levels as Package.swift builds them: portable, AVX2, AVX-512.
        mkdir -p "$obj/CKernels"
        local level flags
        for level in CKernels CKernelsAVX2 CKernelsAVX512; do
            case "$level" in
                CKernels) flags=() ;;
                CKernelsAVX2) flags=(-mavx2 -mfma) ;;
                CKernelsAVX512) flags=(-mavx2 -mfma -mavx512f -mavx512bw -mavx512dq -mavx512vl) ;;
            esac
            for c in "$repo/Sources/$level"/*.c; do
                "$clang" -c -O2 -g0 -fopenmp "${flags[@]}" -ffp-contract=fast -fsanitize=address \
                    -I "$repo/Sources/CKernels/include" "$c" -o "$obj/CKernels/$level-$(basename "$c" .c).o" >>"$log" 2>&1 &
                pids+=($!)
            done
        done
    fi
    module StyleGANIO "${fuzzed[@]}" -- "$repo"/Sources/StyleGANIO/*.swift >>"$log" 2>&1 &
    pids+=($!)
    local failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    if [ "$weights" = 1 ] && [ "$failed" = 0 ]; then
        module StyleGANTensor "${asan[@]}" -- $(find "$repo/Sources/StyleGANTensor" -name '*.swift' | sort) >>"$log" 2>&1 || failed=1
        [ "$failed" = 0 ] && { module StyleGANModel "${fuzzed[@]}" -- $(find "$repo/Sources/StyleGANModel" -name '*.swift' | sort) >>"$log" 2>&1 || failed=1; }
    fi
    if [ "$failed" = 0 ]; then
        pids=()
        for t in "${swift_targets[@]}"; do
            local objects=("$obj/StyleGANIO.o" "$obj/CJPEG.o")
            [ "$t" = weights ] && objects+=("$obj/StyleGANTensor.o" "$obj/StyleGANModel.o" "$obj"/CKernels/*.o)
            "$swiftc" -parse-as-library -O -g -Xcc -Wno-everything "${includes[@]}" "${fuzzed[@]}" -use-ld=lld \
                -module-name "Fuzz_$t" "$here/harness/Support.swift" "$here/harness/$t.swift" "${objects[@]}" \
                -o "$bin/fuzz-$t" >>"$log" 2>&1 &
            pids+=($!)
        done
        for p in "${pids[@]}"; do wait "$p" || failed=1; done
    fi
    if [ "$failed" != 0 ]; then
        grep -E "error|Error" "$log" | head -40 >&2 || tail -40 "$log" >&2
        echo "fuzz: build failed (full log: $log)" >&2
        return 1
    fi
    say "built ${swift_targets[*]} in $((SECONDS - started)) s"
}

if [ ${#swift_targets[@]} -gt 0 ]; then
    stamp=$(stamp_of)
    have_all=1
    for t in "${swift_targets[@]}"; do [ -x "$bin/fuzz-$t" ] || have_all=0; done
    if [ "$have_all" = 1 ] && [ -f "$build/stamp" ] && [ "$(cat "$build/stamp")" = "$stamp" ]; then
        say "harnesses up to date ($bin)"
    else
        rm -f "$build/stamp"
        build_all
        echo "$stamp" > "$build/stamp"
    fi
fi

# ----------------------------------------------------------------------------------------
# Run
# ----------------------------------------------------------------------------------------

max_len() {
    case "$1" in
        png|jpeg|safetensors|npy) echo 8192 ;;
        weights|pickle) echo 20480 ;;
    esac
}

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=0:handle_abort=1}"
# The Swift runtime's own crash handler would race ASan/libFuzzer for the signal.
export SWIFT_BACKTRACE=enable=no
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 STYLEGAN_THREADS=1
# Scratch files of the harnesses (left behind by a crashing run) go to a directory of ours.
scratch_parent=/dev/shm; [ -d "$scratch_parent" ] && [ -w "$scratch_parent" ] || scratch_parent=${TMPDIR:-/tmp}
export STYLEGAN_FUZZ_SCRATCH=$(mktemp -d "$scratch_parent/stylegan-fuzz.XXXXXX")
trap 'rm -rf "$STYLEGAN_FUZZ_SCRATCH"' EXIT
status=0
summary=()
for t in $targets; do
    case "$t" in png|jpeg|safetensors|weights|npy|pickle) ;; *) echo "fuzz: unknown target '$t'" >&2; exit 2 ;; esac
    work="$build/work/$t"
    artifacts="$build/crashes/$t"
    mkdir -p "$work/corpus" "$work/regressions" "$artifacts"
    rm -f "$work/regressions"/*
    for f in "$here/crashes/$t"-*; do [ -f "$f" ] && cp "$f" "$work/regressions/"; done
    log="$work/log.txt"
    if [ "$seconds" -eq 0 ]; then duration=(-runs=0); else duration=(-max_total_time="$seconds"); fi
    flags=("${duration[@]}" -max_len="$(max_len "$t")" -rss_limit_mb=2048 -timeout=25
           -print_final_stats=1 -artifact_prefix="$artifacts/")
    # No single allocation over 1.5 GiB for an input of a few KB (the image readers' own
    # cap, 64 M pixels, needs 768 MiB of floats); enforceable where ASan's allocator is used.
    [ "$t" != pickle ] && flags+=(-malloc_limit_mb=1536)
    [ -f "$here/dict/$t.dict" ] && flags+=(-dict="$here/dict/$t.dict")
    corpora=("$work/corpus" "$here/corpus/$t" "$work/regressions")
    started=$SECONDS
    rc=0
    if [ "$t" = pickle ]; then
        if [ "$pickle_mode" = atheris ]; then
            python3 "$here/fuzz_pickle.py" "${flags[@]}" "${corpora[@]}" </dev/null >"$log" 2>&1 || rc=$?
        else
            python3 "$here/fuzz_pickle.py" --loop "$seconds" "$artifacts" "${corpora[@]}" </dev/null >"$log" 2>&1 || rc=$?
        fi
    else
        "$bin/fuzz-$t" "${flags[@]}" "${corpora[@]}" </dev/null >"$log" 2>&1 || rc=$?
    fi
    runs=$(grep -Eo '(stat::number_of_executed_units: [0-9]+|Done [0-9]+ runs)' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
    cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 | grep -Eo '[0-9]+' || echo "?")
    if [ "$rc" -eq 0 ]; then
        summary+=("$(printf '%-12s ok       %4d s  %8s runs  cov %s' "$t" $((SECONDS - started)) "$runs" "$cov")")
    else
        status=1
        crash=$(grep -Eo '(Test unit written to|input saved to) .*' "$log" | tail -1 | sed -E 's/^(Test unit written to|input saved to) //')
        [ -n "$crash" ] || crash="(none saved; see the log)"
        for known in "$here/crashes/$t"-*; do
            if [ -f "$known" ] && [ -f "$crash" ] && cmp -s "$known" "$crash"; then
                crash="$crash (= the known crash input ${known#"$repo"/})"
            fi
        done
        summary+=("$(printf '%-12s FAILED   %4d s  input: %s' "$t" $((SECONDS - started)) "$crash")")
        echo "==================== $t: FAILED (exit $rc) ====================" >&2
        grep -nE "ERROR: |SUMMARY: |Fatal error|fuzz oracle|Traceback|Error|==[0-9]+==|#[0-9]+ 0x" "$log" | head -60 >&2 || true
        echo "fuzz: $t crashed; input: $crash; full log: $log" >&2
    fi
done

echo "fuzz: results (${seconds} s per target; logs in $build/work/<target>/log.txt)"
for line in "${summary[@]}"; do echo "  $line"; done
if [ "$status" -ne 0 ]; then
    echo "fuzz: FAILED: a target crashed. Reproduce with the binary and the input, e.g." >&2
    echo "fuzz:   $bin/fuzz-jpeg INPUT      python3 tools/fuzz/fuzz_pickle.py --replay INPUT" >&2
fi
exit "$status"
