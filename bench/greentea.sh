#!/usr/bin/env bash
# greentea.sh — mark CPU of Green Tea against classic marking, in heapscope and
# in Go 1.26 itself, on binary-trees and on `web`.
#
# heapscope: `--gc classic` and `--gc greentea`, mark CPU from --stats-json
# (/cpu/classes/gc/mark/{assist,dedicated,idle}).  Go: bench/go/binarytrees.go
# and bench/go/web.go (heapscope's `web:pace=0,requests=N` in Go) built twice
# by the newest Go found (Green Tea is its default since 1.26;
# GOEXPERIMENT=nogreenteagc builds the classic collector), mark CPU summed
# from GODEBUG=gctrace=1 lines (the assist/background/idle terms of "ms cpu").
# web runs a fixed amount of work in both: WEB_REQUESTS requests per P
# (default 110000, about one period of the load curve) as fast as it can.
# Each figure is the median of RUNS runs (default 3), the two collectors'
# runs taken in turn.  Then one run of each
# Green Tea with gctrace=2, summing its "scan: total" lines over the cycles.
#
# Usage: [RUNS=n] [WEB_REQUESTS=n] bench/greentea.sh HEAPSCOPE [DEPTH [PROCS]]
set -euo pipefail

. "$(dirname "$0")/common.sh" "$@"
web_requests=${WEB_REQUESTS:-110000}
web="web:pace=0,requests=$web_requests"

# hs_run WORKLOAD ARGS...: one headless heapscope run on $procs Ps; a fixed
# amount of web is not cut short by the scenario's 20 s on a loaded machine.
hs_run() {
    local wl=$1
    shift
    case $wl in web*) set -- --duration 1h "$@" ;; esac
    "$hs" --headless -w "$wl" -p "$procs" "$@"
}

# hs_mark MODE WORKLOAD: "mark_ms nonidle_ms cycles" of one heapscope run.
hs_mark() {
    hs_run "$2" --gc "$1" --stats-json "$tmp/stats.json" >"$tmp/out" 2>/dev/null
    /usr/bin/python3 - "$tmp/stats.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
busy = sum(d["/cpu/classes/gc/mark/%s:cpu-seconds" % k] for k in ("assist", "dedicated"))
mark = busy + d["/cpu/classes/gc/mark/idle:cpu-seconds"]
print("%.1f %.1f %d" % (mark * 1e3, busy * 1e3, d["/gc/cycles/total:gc-cycles"]))
EOF
}

# go_mark BINARY ARG: "mark_ms nonidle_ms cycles" of one Go run, from its gctrace lines.
go_mark() {
    GODEBUG=gctrace=1 GOMAXPROCS=$procs "$1" "$2" >/dev/null 2>"$tmp/trace"
    awk '/^gc [0-9]+ @/ {
            n++
            for (i = 1; i <= NF; i++) if ($(i + 1) == "ms" && $(i + 2) == "cpu,") cpu = $i
            split(cpu, t, "+"); split(t[2], m, "/"); sum += m[1] + m[2] + m[3]; busy += m[1] + m[2]
         }
         END {printf "%.1f %.1f %d\n", sum, busy, n}' "$tmp/trace"
}

# medians FILE: the median of each of the three columns of FILE's rows.
medians() {
    for col in 1 2 3; do awk -v c=$col '{print $c}' "$1" | median; done | xargs
}

# alternate FN A B ARG: run "FN A ARG" and "FN B ARG" $runs times each, in
# turn, so that a change in the machine's load weighs on both alike (run one
# after the other in blocks, a load that came or went between the blocks
# moved the ratio); prints the medians of A's rows, then of B's, a line each.
alternate() {
    : >"$tmp/rows.a"
    : >"$tmp/rows.b"
    for _ in $(seq "$runs"); do
        "$1" "$2" "$4" >>"$tmp/rows.a"
        "$1" "$3" "$4" >>"$tmp/rows.b"
    done
    medians "$tmp/rows.a"
    medians "$tmp/rows.b"
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
printf 'binary-trees depth %d and web (pace=0, %d requests per P) on %d Ps, median of %d runs\n\n' \
    "$depth" "$web_requests" "$procs" "$runs"
printf '| program | classic mark ms | Green Tea mark ms | Green Tea / classic | without idle: classic, Green Tea ms | ratio | GC cycles (classic, Green Tea) |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
row() { # NAME CLASSIC_MS CLASSIC_BUSY CLASSIC_N GT_MS GT_BUSY GT_N
    printf '| %s | %s | %s | %s | %s, %s | %s | %s, %s |\n' "$1" "$2" "$5" "$(ratio "$5" "$2")" \
        "$3" "$6" "$(ratio "$6" "$3")" "$4" "$7"
}

workloads="binary-trees:depth=$depth"
if "$hs" --workload help 2>/dev/null | grep '^ *web' >/dev/null; then
    workloads="$workloads $web"
fi
for wl in $workloads; do
    { read -r c_ms c_busy c_n; read -r g_ms g_busy g_n; } < <(alternate hs_mark classic greentea "$wl")
    row "heapscope $wl" "$c_ms" "$c_busy" "$c_n" "$g_ms" "$g_busy" "$g_n"
done
[ "$workloads" != "${workloads% "$web"}" ] || printf '| heapscope web | (no web workload in this build) | | | | | |\n'

# go_row NAME PROGRAM ARG: the Go row of bench/go/PROGRAM.go built both ways.
go_row() {
    { read -r c_ms c_busy c_n; read -r g_ms g_busy g_n; } < <(alternate go_mark "$tmp/$2-classic" "$tmp/$2-gt" "$3")
    row "$1" "$c_ms" "$c_busy" "$c_n" "$g_ms" "$g_busy" "$g_n"
}

# scan_block NAME HS_WORKLOAD PROGRAM ARG: the gctrace=2 totals of both, one run each.
scan_block() {
    printf '\nScan counts of one Green Tea run of %s, summed over its cycles (gctrace=2):\n' "$1"
    if [ -n "$2" ]; then
        hs_run "$2" --gc greentea --gctrace=2 >/dev/null 2>"$tmp/hs.trace"
        printf '  heapscope: %s\n' "$(scan_totals "$tmp/hs.trace")"
    fi
    GODEBUG=gctrace=2 GOMAXPROCS=$procs "$tmp/$3-gt" "$4" >/dev/null 2>"$tmp/go.trace"
    printf '  Go %s: %s\n' "$gover" "$(scan_totals "$tmp/go.trace")"
}

if gofound=$(find_go); then
    gobin=${gofound% *}
    gover=${gofound#* }
    cp "$here/go/binarytrees.go" "$here/go/web.go" "$tmp/"
    for prog in binarytrees web; do
        (cd "$tmp" && GOCACHE="$tmp/cache" GO111MODULE=off "$gobin" build -o "$prog-gt" "$prog.go" &&
            GOCACHE="$tmp/cache" GO111MODULE=off GOEXPERIMENT=nogreenteagc \
                "$gobin" build -o "$prog-classic" "$prog.go") ||
            { printf '| Go %s %s | (build failed) | | | | | |\n' "$gover" "$prog"; exit 0; }
    done
    go_row "Go $gover binary-trees:depth=$depth" binarytrees "$depth"
    go_row "Go $gover web:requests=$web_requests" web "$web_requests"
    scan_block "binary-trees:depth=$depth" "binary-trees:depth=$depth" binarytrees "$depth"
    hs_web=""
    [ "$workloads" = "${workloads% "$web"}" ] || hs_web=$web
    scan_block "$web" "$hs_web" web "$web_requests"
else
    printf '| Go | (no Go 1.26 found) | | | | | |\n'
fi
