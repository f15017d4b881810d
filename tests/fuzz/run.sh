#!/usr/bin/env bash
# run.sh — `make fuzz`: build each fuzz target with clang's libFuzzer (and
# ASan+UBSan), run it for FUZZ_SECONDS (default 60) from its corpus in
# tests/fuzz/corpus/TARGET, and print the executions it made.  New inputs
# go to a scratch directory, not the repository; a crash leaves its input in
# tests/fuzz/artifacts/ — add it to the corpus (it then becomes a regression
# test: `make check` replays every corpus file) and fix the bug.
#
# Usage: tests/fuzz/run.sh [TARGET...]   (from the top of a configured tree)
set -u
src=${srcdir:-.}
build=${top_builddir:-.}
seconds=${FUZZ_SECONDS:-60}
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || { echo "run.sh: $cc not found (./bootstrap.sh --fuzz installs it)" >&2; exit 1; }
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(options parse workload trace recording)
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -std=c11
       -include "$build/config.h" -I"$build" -I"$src/include" -I"$src/src" -pthread)
sources() {
    case $1 in
    options | parse) echo "$src/src/cli/options.c $src/src/cli/parse.c" ;;
    workload) echo "$src"/src/workload/*.c "$src"/src/runtime/*.c "$src"/src/tracer/reader.c ;;
    trace) echo "$src/src/tracer/reader.c" ;;
    recording) echo "$src"/src/record/*.c "$src/src/snapshot/check.c" ;;
    *) ls "$src"/tests/fuzz/sources_"$1" 2>/dev/null ;;
    esac
}
libs() {
    case $1 in
    recording) echo "-lzstd" ;;
    esac
}
mkdir -p "$build/tests/fuzz/bin" "$build/tests/fuzz/artifacts"
status=0
for t in "${targets[@]}"; do
    bin="$build/tests/fuzz/bin/fuzz_$t"
    # shellcheck disable=SC2046
    if ! "$cc" "${flags[@]}" "$src/tests/fuzz/fuzz_$t.c" $(sources "$t") $(libs "$t") -lm -o "$bin"; then
        echo "run.sh: could not build fuzz_$t" >&2
        status=1
        continue
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/hs-fuzz-$t.XXXXXX")
    cp "$src/tests/fuzz/corpus/$t"/* "$work"/ 2>/dev/null
    log="$build/tests/fuzz/fuzz_$t.log"
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$build/tests/fuzz/artifacts/$t-" \
        "$work" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        echo "fuzz_$t: ${execs:-?} executions in ${seconds} s, $cov, corpus $(ls "$work" | wc -l) inputs, no crash"
    else
        echo "fuzz_$t: FAILED after ${execs:-?} executions; see $log and tests/fuzz/artifacts/" >&2
        status=1
    fi
    rm -rf "$work"
done
exit $status
