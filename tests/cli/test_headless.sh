#!/usr/bin/env bash
# test_headless.sh — heapscope --headless and --workload help seen from
# outside: exit status (0 ok, 1 runtime failure, 2 bad usage), the messages,
# binary-trees' reference lines and the summary on stdout, --stats-json
# checked by Python's JSON parser, and gctrace lines in Go's format.
#
# Run by `make check` with top_builddir exported; by hand:
#   top_builddir=. tests/cli/test_headless.sh
set -u

. "$(dirname "$0")/cliutil.sh" test_headless
python=/usr/bin/python3

# run ARGS...: as cliutil.sh's, but a run that hangs is killed after $limit
# seconds (status 124, reported).
limit=120
run() {
    timeout -k 5 "$limit" "$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "heapscope $*: still running after ${limit}s"
}

expect_rc() {
    [ "$rc" -eq "$1" ] || fail "heapscope ${*:2}: exit $rc, want $1; stderr: $(cat "$tmp/err")"
}

# expect_bad_workload SPEC WORD: exit 2, nothing on stdout, a first line
# naming --workload and WORD, then a pointer to --workload help.
expect_bad_workload() {
    run --headless --workload "$1" --procs 1
    expect_rc 2 --workload "$1"
    [ ! -s "$tmp/out" ] || fail "--workload $1: wrote to stdout"
    [ "$(wc -l <"$tmp/err")" -eq 2 ] || fail "--workload $1: stderr is not two lines: $(cat "$tmp/err")"
    head -n 1 "$tmp/err" | grep -q -- "^heapscope: --workload: .*$2" ||
        fail "--workload $1: first line does not name $2: $(head -n 1 "$tmp/err")"
    tail -n 1 "$tmp/err" | grep -q -- "--workload help" || fail "--workload $1: no hint"
}

# ---- --workload help ----------------------------------------------------------
for extra in "" "--headless" "--replay r.hsr"; do
    # shellcheck disable=SC2086 # split on purpose
    run --workload help $extra
    expect_rc 0 --workload help $extra
    [ ! -s "$tmp/err" ] || fail "--workload help $extra: wrote to stderr"
    for word in web binary-trees churn fragment large tiny leak pool prealloc "period=20" \
        "depth=18" "live=64MiB" "rate=4" "garbage=1KiB" "reuse=1" "sized=1"; do
        grep -q -- "$word" "$tmp/out" || fail "--workload help does not list $word"
    done
done

# ---- bad workload specs: exit 2 ---------------------------------------------------
expect_bad_workload nosuch "'nosuch'"
expect_bad_workload "binary-trees:depth=x" "depth=x"
expect_bad_workload "binary-trees:depth=99" "out of range"
expect_bad_workload "binary-trees:size=1" "'size'"
expect_bad_workload "churn:live=1MiB,live=2MiB" "twice"

# ---- the default workload, web: its report and the summary ------------------------
run --headless --procs 1 --duration 1s --seed 3
expect_rc 0 "--headless (default workload)"
grep -q "^workload      web rate=10000 period=20 " "$tmp/out" ||
    fail "--headless without --workload does not run web: $(cat "$tmp/out")"
grep -q "^web: [0-9]* requests" "$tmp/out" || fail "web printed no report: $(cat "$tmp/out")"
grep -q "^checks        OK" "$tmp/out" || fail "web's checks: $(cat "$tmp/out")"

# ---- --stats-json that cannot be written: exit 2 before running ---------------
run --headless --workload binary-trees:depth=6 --procs 1 --stats-json "$tmp/no/such/dir/s.json"
expect_rc 2 --stats-json into a missing directory
[ ! -s "$tmp/out" ] || fail "unwritable --stats-json: the workload ran anyway"
grep -q "^heapscope: --stats-json: cannot write '$tmp/no/such/dir/s.json': " "$tmp/err" ||
    fail "unwritable --stats-json: message is '$(cat "$tmp/err")'"

# ---- binary-trees depth 10: the reference lines, the summary, the JSON ---------
cat >"$tmp/want" <<'EOF'
stretch tree of depth 11	 check: 4095
1024	 trees of depth 4	 check: 31744
256	 trees of depth 6	 check: 32512
64	 trees of depth 8	 check: 32704
16	 trees of depth 10	 check: 32752
long lived tree of depth 10	 check: 2047
EOF
for procs in 1 2; do
    run --headless --workload binary-trees:depth=10 --procs $procs --gogc off --seed 5 \
        --stats-json "$tmp/s.json"
    expect_rc 0 binary-trees depth 10 on $procs P
    head -n 6 "$tmp/out" | cmp -s - "$tmp/want" || fail "binary-trees on $procs P: lines differ"
    for label in "workload      binary-trees depth=10 (seed 5)" "outcome       finished" \
        "Ps            $procs" "GOGC          off" "wall time" "GC cycles     0 (0 forced)" \
        "STW pauses" "peak heap     HeapAlloc" "final heap" "peak RSS" "checks        OK"; do
        grep -q "^$label" "$tmp/out" || fail "binary-trees on $procs P: no '$label' line"
    done
    if [ -x "$python" ]; then
        "$python" -m json.tool "$tmp/s.json" >/dev/null || fail "--stats-json is not JSON"
        "$python" - "$tmp/s.json" <<'EOF' || fail "--stats-json lacks keys or values"
import json, sys
d = json.load(open(sys.argv[1]))
need = ["/gc/cycles/total:gc-cycles", "/gc/cycles/forced:gc-cycles",
        "/gc/cycles/automatic:gc-cycles", "/gc/heap/allocs:bytes", "/gc/heap/allocs:objects",
        "/gc/heap/frees:bytes", "/gc/heap/frees:objects", "/gc/heap/goal:bytes",
        "/gc/heap/live:bytes", "/gc/heap/objects:objects", "/gc/heap/tiny/allocs:objects",
        "/gc/gogc:percent", "/gc/gomemlimit:bytes", "/memory/classes/heap/objects:bytes",
        "/memory/classes/heap/free:bytes", "/memory/classes/heap/released:bytes",
        "/memory/classes/heap/unused:bytes", "/memory/classes/metadata/mspan/inuse:bytes",
        "/memory/classes/metadata/mcache/inuse:bytes", "/memory/classes/total:bytes",
        "/cpu/classes/gc/mark/assist:cpu-seconds", "/cpu/classes/gc/mark/dedicated:cpu-seconds",
        "/cpu/classes/gc/mark/idle:cpu-seconds", "/cpu/classes/gc/pause:cpu-seconds",
        "pauses", "workload", "wall_seconds", "peak_rss_bytes"]
missing = [k for k in need if k not in d]
assert not missing, missing
assert set(d["pauses"]) >= {"count", "max_ns", "p50_ns", "p99_ns"}
assert d["workload"] == "binary-trees depth=10", d["workload"]
assert d["/gc/gogc:percent"] == -1
assert d["/gc/heap/allocs:bytes"] > 0 and d["peak_rss_bytes"] > 0
assert d["checks"]["failed"] == 0 and d["checks"]["passed"] > 0
EOF
    fi
done

# ---- --stats-json -: the JSON alone on stdout; the report, summary, gctrace on stderr
abs_bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
(cd "$tmp" && "$abs_bin" --headless --workload binary-trees:depth=12 --procs 1 --seed 5 \
    --gctrace --stats-json - >"$tmp/out" 2>"$tmp/err" </dev/null)
rc=$?
expect_rc 0 "--stats-json -"
[ ! -e "$tmp/-" ] || fail "--stats-json - wrote a file named '-'"
grep -q "^outcome       finished" "$tmp/err" || fail "--stats-json -: no summary on stderr: $(cat "$tmp/err")"
grep -q "^stretch tree of depth 13" "$tmp/err" ||
    fail "--stats-json -: the workload's lines are not on stderr: $(cat "$tmp/err")"
grep -q "^gc 1 @" "$tmp/err" || fail "--stats-json -: --gctrace lines are not on stderr"
head -c 1 "$tmp/out" | grep -q "{" || fail "--stats-json -: stdout does not start with the JSON: $(head -n 2 "$tmp/out")"
if [ -x "$python" ]; then
    "$python" -m json.tool "$tmp/out" >/dev/null || fail "--stats-json -: stdout is not JSON alone"
fi

# ---- Green Tea: the same workload, marked span by span, verified -----------------
run --headless --workload binary-trees:depth=12 --procs 2 --gc greentea --verify
expect_rc 0 --gc greentea
grep -q "^verifier      OK$" "$tmp/out" || fail "--gc greentea: verifier not OK"
grep -Eq "^marking       Green Tea: [1-9][0-9]* span scans \([0-9]+ one-mark, [0-9]+ sparse, [0-9]+ dense, [0-9]+ stolen\); objects scanned [0-9]+ singly, [1-9][0-9]* in spans$" "$tmp/out" ||
    fail "--gc greentea: no marking line: $(grep marking "$tmp/out")"
run --headless --workload binary-trees:depth=12 --procs 1
grep -Eq "^marking       classic: [1-9][0-9]* objects scanned$" "$tmp/out" ||
    fail "classic: no marking line: $(grep marking "$tmp/out")"

# ---- --gctrace=2: Go 1.26's scan lines after every gc line ------------------------------
for mode in greentea classic; do
    run --headless --workload binary-trees:depth=12 --procs 2 --gc $mode --gctrace=2
    expect_rc 0 --gc $mode --gctrace=2
    if [ $mode = greentea ]; then
        total='^scan: total [0-9]+\+[0-9]+\+[0-9]+=[0-9]+ objs, [0-9]+\+[0-9]+=[0-9]+ spans$'
        class='^scan: class ([0-9]+B|L) [0-9]+\+[0-9]+\+[0-9]+=[0-9]+ objs, [0-9]+\+[0-9]+=[0-9]+ spans$'
    else
        total='^scan: total [0-9]+ objs$'
        class='^scan: class ([0-9]+B|L) [0-9]+ objs$'
    fi
    ngc=$(grep -c '^gc ' "$tmp/err")
    ntotal=$(grep -Ec "$total" "$tmp/err")
    [ "$ngc" -gt 0 ] && [ "$ngc" -eq "$ntotal" ] || fail "--gctrace=2 $mode: $ngc gc lines, $ntotal scan totals"
    # every line after a gc line, up to the next, is a scan line
    bad=$(grep -v '^gc ' "$tmp/err" | grep -Ev "$total|$class" | head -n 1)
    [ -z "$bad" ] || fail "--gctrace=2 $mode: line not in Go's format: $bad"
    [ "$(head -n 1 "$tmp/err" | cut -c1-3)" = "gc " ] || fail "--gctrace=2 $mode: first line is not a gc line"
done
grep -q "^scan: class 16B " "$tmp/err" || fail "--gctrace=2 classic: no 16 B class line"

# ---- out of memory under --max-heap: exit 1 and the report -------------------------
run --headless --workload binary-trees:depth=16 --procs 2 --gogc off --max-heap 4MiB
expect_rc 1 out of memory
# The live view's wording too (cli_report_oom): readable sizes, and the heap
# really in use when the span was refused, never 0 under a 4 MiB cap.
grep -q "^heapscope: out of memory: asked for [0-9.]* [KMG]*i*B more with [0-9.]* [KM]iB of heap in use; the cap, --max-heap, is 4.0 MiB$" "$tmp/err" ||
    fail "out of memory: report is '$(cat "$tmp/err")'"
! grep -q "with 0 B of heap in use" "$tmp/err" || fail "out of memory: heap in use reported as 0"
grep -q "^outcome       out of memory" "$tmp/out" || fail "out of memory: summary does not say so"

# ---- leak under --max-heap, with GC on: the heap grows into the cap -------------------
run --headless --workload leak:rate=0 --procs 2 --max-heap 24MiB --seed 1
expect_rc 1 leak under --max-heap
grep -q "^heapscope: out of memory: .* the cap, --max-heap, is 24.0 MiB$" "$tmp/err" ||
    fail "leak: out-of-memory report is '$(cat "$tmp/err")'"
grep -q "^leak: [0-9.]* MiB leaked in [0-9]* objects$" "$tmp/out" || fail "leak: no report: $(cat "$tmp/out")"
grep -q "^checks        OK" "$tmp/out" || fail "leak: checks: $(cat "$tmp/out")"

# ---- churn for a set time -------------------------------------------------------------
run --headless --workload churn:live=1MiB --procs 2 --duration 300ms --seed 3
expect_rc 0 churn
grep -q "^outcome       finished" "$tmp/out" || fail "churn: $(cat "$tmp/out")"
grep -q "^checks        OK" "$tmp/out" || fail "churn: checks not OK"
wall=$(sed -n 's/^wall time     \([0-9.]*\) s$/\1/p' "$tmp/out")
case "$wall" in
0.[3-9]* | 1.*) ;;
*) fail "churn --duration 300ms ran $wall s" ;;
esac

# ---- --gctrace: every line in Go's format, one per cycle --------------------------
run --headless --workload binary-trees:depth=12 --procs 2 --gogc 50 --gctrace
expect_rc 0 --gctrace
cycles=$(sed -n 's/^GC cycles     \([0-9]*\) .*/\1/p' "$tmp/out")
re='^gc [0-9]+ @[0-9]+\.[0-9]{3}s [0-9]+%: [0-9.]+\+[0-9.]+\+[0-9.]+ ms clock, '
re+='[0-9.]+\+[0-9.]+/[0-9.]+/[0-9.]+\+[0-9.]+ ms cpu, [0-9]+->[0-9]+->[0-9]+ MB, '
re+='[0-9]+ MB goal, [0-9]+ MB stacks, [0-9]+ MB globals, 2 P( \(forced\))?$'
# A cycle the last allocations triggered may start after the summary was
# taken: its line still prints, so one line more than the summary counts.
lines=$(grep -c '^gc ' "$tmp/err")
[ -n "$cycles" ] && [ "$lines" -ge "$cycles" ] && [ "$lines" -le $((cycles + 1)) ] ||
    fail "--gctrace: $lines lines for '$cycles' cycles"
bad=$(grep '^gc ' "$tmp/err" | grep -Ev "$re" | head -n 1)
[ -z "$bad" ] || fail "--gctrace line not in Go's format: $bad"

# ---- the live view needs a terminal -------------------------------------------------
run --workload binary-trees
expect_rc 2 live view without a terminal
[ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "live view: stderr is not one line"
grep -q -- "needs a terminal.*--headless" "$tmp/err" || fail "live view: '$(cat "$tmp/err")'"

if [ "$failures" -ne 0 ]; then
    echo "test_headless: $failures failure(s)" >&2
    exit 1
fi
echo "test_headless: all passed"
