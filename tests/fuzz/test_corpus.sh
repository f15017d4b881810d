#!/usr/bin/env bash
# test_corpus.sh — every fuzz corpus input, and every crash ever found, run
# through its target without libFuzzer (replay.c): a fixed bug stays fixed.
set -u
b="${top_builddir:-.}"
s="${srcdir:-.}"
failures=0
for t in options parse workload trace recording; do
    "$b/tests/fuzz/replay_$t" "$s/tests/fuzz/corpus/$t" >/dev/null || {
        echo "FAIL: a $t corpus input" >&2
        failures=$((failures + 1))
    }
done
[ $failures -eq 0 ] && echo "ok: every fuzz corpus replayed"
exit $((failures > 0))
