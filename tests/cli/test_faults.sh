#!/usr/bin/env bash
# test_faults.sh — the system refusing memory.  Under address-space limits
# (ulimit -v) from too small to start at all to too small for the heap to
# grow, every run either works or ends with exit status 1 and one sentence
# saying what the system refused; never a crash.  At least one limit must
# reach the heap's growth: "the OS refused to reserve ... for a heap arena".
set -u
bin="${top_builddir:-.}/heapscope"
[ -x "$bin" ] || { echo "test_faults: $bin is not built" >&2; exit 99; }
# The sanitizers reserve terabytes of shadow memory: an address-space limit
# stops them before heapscope runs, so this test is for plain builds.
if grep -aq -e __asan_init -e __tsan_init "$bin"; then
    echo "test_faults: skipped in a sanitizer build"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-faults.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0
arena=0
for kb in 100000 200000 400000 600000 800000 1000000 1200000; do
    (ulimit -v "$kb" && exec "$bin" --headless --procs 1 --workload churn:live=64MiB --duration 2s) \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    case $rc in
    0) ;;
    1)
        grep -q '^heapscope: .*\(refused\|out of memory\)' "$tmp/err" ||
            { echo "FAIL: ulimit -v $kb: exit 1 without a sentence: $(cat "$tmp/err")" >&2; failures=$((failures + 1)); }
        grep -q 'refused to reserve .* for a heap arena' "$tmp/err" && arena=1
        ;;
    *)
        echo "FAIL: ulimit -v $kb: exit status $rc: $(head -c 400 "$tmp/err")" >&2
        failures=$((failures + 1))
        ;;
    esac
done
[ "$arena" = 1 ] || { echo "FAIL: no limit made an arena reservation fail" >&2; failures=$((failures + 1)); }
[ $failures -eq 0 ] && echo "ok: refused memory ends with a sentence and exit status 1"
exit $((failures > 0))
