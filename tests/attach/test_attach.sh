#!/usr/bin/env bash
# test_attach.sh — --attach against real Go programs: builds
# tests/attach/target.go with every Go here (gotargets.sh), runs the reader's
# suite (test_attach) over those builds, then checks heapscope's command
# line from outside: exit status 2 and one sentence for a pid that does not
# exist, a program that is not Go, a build without DWARF (and Debian's own
# stripped gofmt), and a headless run's summary and --stats-json, including
# a program that exits while attached.
#
# Run by `make check` with top_builddir and srcdir exported; by hand:
#   top_builddir=. srcdir=. tests/attach/test_attach.sh
set -u

top_builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
bin="$top_builddir/heapscope"
suite="$top_builddir/tests/attach/test_attach"
for f in "$bin" "$suite"; do
    [ -x "$f" ] || { echo "test_attach: $f is not built" >&2; exit 99; }
done
. "$srcdir/tests/attach/gotargets.sh"
if ! go_targets "$top_builddir/tests/attach/go"; then
    echo "SKIP: no Go to build the test programs with"
    exit 77
fi
echo "Go programs: $GO_TARGETS (and PIE, -s -w, stripped builds)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-attach.XXXXXX") || exit 99
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# The reader's suite, over every build (the PIE one too).
HS_ATTACH_TARGETS="$GO_TARGETS $GO_PIE" HS_ATTACH_SW=$GO_SW HS_ATTACH_STRIPPED=$GO_STRIPPED \
    HS_ATTACH_FULL=$GO_FULL "$suite" || fail "the test_attach suite"

# spawn PROG: run it with a fifo as its input; $tpid its pid, $tin the
# fifo's fd, $tout what it writes.
nspawned=0
spawn() {
    local fifo="$tmp/in.$nspawned"
    tout="$tmp/target.$nspawned.out"
    nspawned=$((nspawned + 1))
    mkfifo "$fifo"
    "$@" <"$fifo" >"$tout" 2>&1 &
    tpid=$!
    pids+=("$tpid")
    exec {tin}>"$fifo"
    rm -f "$fifo"
}

# start PROG: spawn it and wait for its "ready".
start() {
    spawn "$@"
    local i
    for i in $(seq 200); do
        grep -q ready "$tout" 2>/dev/null && return
        sleep 0.05
    done
}

run() {
    timeout -k 5 60 "$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
}

# expect_refused WORDS ARGS...: exit 2, one line on stderr containing WORDS.
expect_refused() {
    local words=$1
    shift
    run "$@"
    [ "$rc" -eq 2 ] || fail "heapscope $*: exit $rc, want 2"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || fail "heapscope $*: stderr is not one line: $(cat "$tmp/err")"
    grep -q -- "$words" "$tmp/err" || fail "heapscope $*: no '$words' in: $(cat "$tmp/err")"
}

# A pid that no process has: one that has just exited.
sh -c 'exit 0' &
dead=$!
wait "$dead"
expect_refused "there is no process with pid $dead" --headless --attach "$dead" --duration 1s

spawn cat
expect_refused "is not a Go program" --headless --attach "$tpid" --duration 1s

# Linked with -s -w: no unstripped twin exists (the build settings say so),
# and the same program built without them is another build.
start "$GO_SW"
expect_refused "linked with -ldflags -s or -w.*build it without them" --headless --attach "$tpid" --duration 1s
expect_refused "is not the build that runs as process $tpid (both go1\.[0-9.]*, but their build ids differ)" \
    --headless --attach "$tpid" --attach-bin "$GO_FULL" --duration 1s
kill "$tpid"

gofmt119=/usr/lib/go-1.19/bin/gofmt
if [ -x "$gofmt119" ] && ! readelf -S "$gofmt119" | grep -q debug_info; then
    spawn "$gofmt119"
    sleep 0.2
    expect_refused "no DWARF.*--attach-bin" --headless --attach "$tpid" --duration 1s
fi

# Not a terminal: the view needs one.
start "$GO_FULL"
expect_refused "needs a terminal" --attach "$tpid"

# Headless: the summary and the JSON, from the program's own numbers.
run --headless --attach "$tpid" --freeze --duration 0.5s --stats-json "$tmp/stats.json"
[ "$rc" -eq 0 ] || fail "headless attach: exit $rc: $(cat "$tmp/err")"
grep -q "^program .*pid $tpid (go1\." "$tmp/out" || fail "headless attach: no program line: $(cat "$tmp/out")"
# What a running program keeps no count of is said, never printed as 0; the
# marking is named as the live view names it (Go 1.26 marks with Green Tea).
grep -q "^marking       .* marking (Go .*); scan counts not readable from a running Go program$" "$tmp/out" ||
    fail "headless attach: marking line: $(grep marking "$tmp/out")"
if grep -q "^program .*(go1\.2[6-9]" "$tmp/out"; then
    grep -q "^marking       Green Tea marking (Go 1.26+);" "$tmp/out" ||
        fail "headless attach of Go 1.26+: marking is not Green Tea: $(grep marking "$tmp/out")"
fi
! grep -q "objects scanned" "$tmp/out" || fail "headless attach: prints counts it cannot read: $(cat "$tmp/out")"
# The program called runtime.GC() twice before it said ready.
grep -q "^GC cycles     [0-9]* ([2-9][0-9]* forced)$" "$tmp/out" ||
    fail "headless attach: forced cycles: $(grep "GC cycles" "$tmp/out")"
for key in '"/gc/heap/objects:objects"' '"/gc/cycles/total:gc-cycles"' '"/gc/heap/goal:bytes"' \
    '"/memory/classes/heap/objects:bytes"'; do
    grep -q "$key" "$tmp/stats.json" || fail "--stats-json has no $key"
done
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["/gc/heap/objects:objects"] >= 3520, d
assert d["/gc/cycles/forced:gc-cycles"] >= 2 and d["/memory/classes/total:bytes"] is None, d' \
    "$tmp/stats.json" || fail "--stats-json: not JSON, too few objects or forced cycles, or a 0 for what is not read"

# --stats-json -: the JSON alone on stdout, the summary on stderr.
run --headless --attach "$tpid" --duration 1s --stats-json -
[ "$rc" -eq 0 ] || fail "headless attach --stats-json -: exit $rc: $(cat "$tmp/err")"
grep -q "^GC cycles" "$tmp/err" || fail "headless attach --stats-json -: no summary on stderr: $(cat "$tmp/err")"
/usr/bin/python3 -m json.tool "$tmp/out" >/dev/null || fail "headless attach --stats-json -: stdout is not JSON alone"

# Recorded while attached: the recording replays and exports as a simulated
# one does, its frames the program's (the snapshot's source says attach).
run --headless --attach "$tpid" --duration 1s --record "$tmp/attached.hsr"
[ "$rc" -eq 0 ] || fail "headless attach --record: exit $rc: $(cat "$tmp/err")"
frames=$(sed -n 's/^heapscope: recorded \([0-9]*\) frames to .*/\1/p' "$tmp/err")
[ -n "$frames" ] && [ "$frames" -ge 5 ] || fail "headless attach --record: $(cat "$tmp/err")"
run --replay "$tmp/attached.hsr" --screenshot "$tmp/attached.txt" --at "$frames"
[ "$rc" -eq 0 ] || fail "replay of an attached recording: exit $rc: $(cat "$tmp/err")"
grep -q "pid $tpid" "$tmp/attached.txt" || fail "the attached recording's frame does not name the program: $(head -3 "$tmp/attached.txt")"

# The program exits while attached: the run ends there, exit 0.
timeout -k 5 60 "$bin" --headless --attach "$tpid" --duration 60s >"$tmp/out" 2>"$tmp/err" </dev/null &
hs=$!
sleep 0.5
echo exit >&"$tin"
wait "$hs"
rc=$?
[ "$rc" -eq 0 ] || fail "program exiting while attached: exit $rc: $(cat "$tmp/err"); it said: $(cat "$tout")"
grep -q "the program exited" "$tmp/out" || fail "program exiting: the summary says $(cat "$tmp/out"); the program said: $(cat "$tout")"

# Ended by SIGTERM: the summary, then exit status 128 + 15, as a shell
# reports a command a signal ended.  The signal goes once heapscope blocks
# it (SigBlk in /proc has SIGHUP, SIGINT and SIGTERM: 0x4003).
start "$GO_FULL"
"$bin" --headless --attach "$tpid" --duration 60s >"$tmp/out" 2>"$tmp/err" </dev/null &
hs=$!
for _ in $(seq 200); do
    blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "/proc/$hs/status" 2>/dev/null)
    [ -n "$blk" ] && [ $((0x$blk & 0x4003)) -eq $((0x4003)) ] && break
    sleep 0.05
done
kill -TERM "$hs"
wait "$hs"
rc=$?
[ "$rc" -eq 143 ] || fail "headless attach ended by SIGTERM: exit $rc, want 143: $(cat "$tmp/err")"
grep -q "stopped by a signal" "$tmp/out" || fail "SIGTERM: the summary says $(cat "$tmp/out")"

if [ "$failures" -ne 0 ]; then
    echo "test_attach.sh: $failures failures" >&2
    exit 1
fi
echo "test_attach.sh: all passed"
