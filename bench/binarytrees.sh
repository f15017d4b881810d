#!/usr/bin/env bash
# binarytrees.sh — binary-trees through heapscope's collector and through Go's,
# side by side in one run: wall time, GC cycles, the longest stop-the-world
# pause and peak RSS, each the median of RUNS runs (default 3).
#
# Usage: bench/binarytrees.sh HEAPSCOPE [DEPTH [PROCS]]
# Go: the newest of /usr/local/go/bin/go, go on PATH and Debian's go-1.19;
# `./bootstrap.sh --bench` installs Debian's golang-go.
set -euo pipefail

. "$(dirname "$0")/common.sh" "$@"

# One heapscope run: "wall cycles maxpause_ms rss_kb".
run_hs() {
    /usr/bin/time -f "%M" -o "$tmp/rss" "$hs" --headless -w "binary-trees:depth=$depth" \
        -p "$procs" >"$tmp/out" 2>/dev/null
    awk -v rss="$(cat "$tmp/rss")" '
        /^wall time/  {w=$3}
        /^GC cycles/  {c=$3}
        /^STW pauses/ {m=$5}
        END {print w, c, m, rss}' "$tmp/out"
}

# One Go run, from its gctrace lines: pauses are the 1st and 3rd clock terms.
run_go() {
    local start end
    start=$(date +%s.%N)
    GODEBUG=gctrace=1 GOMAXPROCS=$procs /usr/bin/time -f "%M" -o "$tmp/rss" \
        "$tmp/bt" "$depth" >/dev/null 2>"$tmp/trace"
    end=$(date +%s.%N)
    awk -v w="$(awk -v a="$start" -v b="$end" 'BEGIN {print b - a}')" -v rss="$(cat "$tmp/rss")" '
        /^gc [0-9]+ @/ {n++; split($5, t, "+"); if (t[1] > m) m = t[1]; if (t[3] > m) m = t[3]}
        END {printf "%.3f %d %s %s\n", w, n, m, rss}' "$tmp/trace"
}

# median_of FN: run FN $runs times and print the median of each column.
median_of() {
    for _ in $(seq "$runs"); do "$1"; done >"$tmp/rows"
    for col in 1 2 3 4; do awk -v c=$col '{print $c}' "$tmp/rows" | median; done | xargs
}


printf 'binary-trees depth %d on %d Ps, median of %d runs\n\n' "$depth" "$procs" "$runs"
printf '| program | wall s | GC cycles | max STW ms | peak RSS MiB |\n'
printf '| --- | ---: | ---: | ---: | ---: |\n'
read -r w c m r <<<"$(median_of run_hs)"
printf '| %s | %s | %s | %s | %.1f |\n' "$("$hs" --version | head -1)" "$w" "$c" "$m" \
    "$(awk -v r="$r" 'BEGIN {print r / 1024}')"
hs_w=$w
if gofound=$(find_go); then
    gobin=${gofound% *}
    gover=${gofound#* }
    cp "$here/go/binarytrees.go" "$tmp/"
    (cd "$tmp" && GOCACHE="$tmp/cache" GO111MODULE=off "$gobin" build -o bt binarytrees.go)
    read -r w c m r <<<"$(median_of run_go)"
    printf '| Go %s | %s | %s | %s | %.1f |\n' "$gover" "$w" "$c" "$m" "$(awk -v r="$r" 'BEGIN {print r / 1024}')"
    printf '\nheapscope / Go wall time: %.2f\n' "$(awk -v a="$hs_w" -v b="$w" 'BEGIN {print a / b}')"
else
    printf '| Go | (not installed: ./bootstrap.sh --bench) | | | |\n'
fi
