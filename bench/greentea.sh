#!/usr/bin/env bash
# greentea.sh — mark CPU of Green Tea against classic marking, in heapscope and
# in Go 1.26 itself, on binary-trees (and on `web` once heapscope has it).
#
# heapscope: `--gc classic` and `--gc greentea`, mark CPU from --stats-json
# (/cpu/classes/gc/mark/{assist,dedicated,idle}).  Go: bench/go/binarytrees.go
# built twice by the newest Go found (Green Tea is its default since 1.26;
# GOEXPERIMENT=nogreenteagc builds the classic collector), mark CPU summed
# from GODEBUG=gctrace=1 lines (the assist/background/idle terms of "ms cpu").
# Each figure is the median of RUNS runs (default 3).  Then one run of each
# Green Tea with gctrace=2, summing its "scan: total" lines over the cycles.
#
# Usage: bench/greentea.sh HEAPSCOPE [DEPTH [PROCS]]
set -euo pipefail

. "$(dirname "$0")/common.sh" "$@"

# hs_mark MODE WORKLOAD: "mark_ms nonidle_ms cycles" of one heapscope run.
hs_mark() {
    "$hs" --headless -w "$2" -p "$procs" --gc "$1" --stats-json "$tmp/stats.json" \
        >"$tmp/out" 2>/dev/null
    /usr/bin/python3 - "$tmp/stats.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
busy = sum(d["/cpu/classes/gc/mark/%s:cpu-seconds" % k] for k in ("assist", "dedicated"))
mark = busy + d["/cpu/classes/gc/mark/idle:cpu-seconds"]
print("%.1f %.1f %d" % (mark * 1e3, busy * 1e3, d["/gc/cycles/total:gc-cycles"]))
EOF
}

# go_mark BINARY: "mark_ms nonidle_ms cycles" of one Go run, from its gctrace lines.
go_mark() {
    GODEBUG=gctrace=1 GOMAXPROCS=$procs "$1" "$depth" >/dev/null 2>"$tmp/trace"
    awk '/^gc [0-9]+ @/ {
            n++
            for (i = 1; i <= NF; i++) if ($(i + 1) == "ms" && $(i + 2) == "cpu,") cpu = $i
            split(cpu, t, "+"); split(t[2], m, "/"); sum += m[1] + m[2] + m[3]; busy += m[1] + m[2]
         }
         END {printf "%.1f %.1f %d\n", sum, busy, n}' "$tmp/trace"
}

# median_of CMD...: run CMD $runs times, print the median of each column.
median_of() {
    for _ in $(seq "$runs"); do "$@"; done >"$tmp/rows"
    for col in 1 2 3; do awk -v c=$col '{print $c}' "$tmp/rows" | median; done | xargs
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }


# Sum the "scan: total" lines of a gctrace=2 stream (Go's format, both tools).
scan_totals() {
    awk '/^scan: total / {
            split($3, o, "[+=]"); s1 += o[1]; s2 += o[2]; s3 += o[3]
            split($5, p, "[+=]"); p1 += p[1]; p2 += p[2]
         }
         END {printf "objects %d singly + %d in sparse spans + %d in dense spans; span scans %d sparse + %d dense\n",
                     s1, s2, s3, p1, p2}' "$1"
}

printf 'Green Tea against classic marking: mark CPU (assist + background + idle), '
printf 'binary-trees depth %d on %d Ps, median of %d runs\n\n' "$depth" "$procs" "$runs"
printf '| program | classic mark ms | Green Tea mark ms | Green Tea / classic | without idle: classic, Green Tea ms | ratio | GC cycles (classic, Green Tea) |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
row() { # NAME CLASSIC_MS CLASSIC_BUSY CLASSIC_N GT_MS GT_BUSY GT_N
    printf '| %s | %s | %s | %s | %s, %s | %s | %s, %s |\n' "$1" "$2" "$5" "$(ratio "$5" "$2")" \
        "$3" "$6" "$(ratio "$6" "$3")" "$4" "$7"
}

workloads="binary-trees:depth=$depth"
if "$hs" --workload help 2>/dev/null | grep -q '^ *web'; then
    workloads="$workloads web"
fi
for wl in $workloads; do
    read -r c_ms c_busy c_n <<<"$(median_of hs_mark classic "$wl")"
    read -r g_ms g_busy g_n <<<"$(median_of hs_mark greentea "$wl")"
    row "heapscope $wl" "$c_ms" "$c_busy" "$c_n" "$g_ms" "$g_busy" "$g_n"
done
[ "$workloads" != "${workloads% web}" ] || printf '| heapscope web | (no web workload in this build) | | | | | |\n'

if gofound=$(find_go); then
    gobin=${gofound% *}
    gover=${gofound#* }
    cp "$here/go/binarytrees.go" "$tmp/"
    (cd "$tmp" && GOCACHE="$tmp/cache" GO111MODULE=off "$gobin" build -o bt-gt binarytrees.go &&
        GOCACHE="$tmp/cache" GO111MODULE=off GOEXPERIMENT=nogreenteagc "$gobin" build -o bt-classic binarytrees.go) ||
        { printf '| Go %s | (build failed) | | | | | |\n' "$gover"; exit 0; }
    read -r c_ms c_busy c_n <<<"$(median_of go_mark "$tmp/bt-classic")"
    read -r g_ms g_busy g_n <<<"$(median_of go_mark "$tmp/bt-gt")"
    row "Go $gover binary-trees:depth=$depth" "$c_ms" "$c_busy" "$c_n" "$g_ms" "$g_busy" "$g_n"
    printf '\nScan counts of one Green Tea run, summed over its cycles (gctrace=2):\n'
    "$hs" --headless -w "binary-trees:depth=$depth" -p "$procs" --gc greentea --gctrace=2 \
        >/dev/null 2>"$tmp/hs.trace"
    printf '  heapscope: %s' "$(scan_totals "$tmp/hs.trace")"
    printf '\n'
    GODEBUG=gctrace=2 GOMAXPROCS=$procs "$tmp/bt-gt" "$depth" >/dev/null 2>"$tmp/go.trace"
    printf '  Go %s: %s\n' "$gover" "$(scan_totals "$tmp/go.trace")"
else
    printf '| Go | (no Go 1.26 found) | | | | | |\n'
fi
