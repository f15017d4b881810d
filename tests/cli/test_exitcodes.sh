#!/usr/bin/env bash
# test_exitcodes.sh — heapscope's command line seen from outside: exit status,
# --help and --version on stdout, and for bad usage exactly one line on stderr
# naming the option, then the --help hint, and exit status 2 (DESIGN.md).
#
# Run by `make check` with top_builddir exported; by hand:
#   top_builddir=. tests/cli/test_exitcodes.sh
set -u

. "$(dirname "$0")/cliutil.sh" test_exitcodes
try_line="Try 'heapscope --help' for more information."

# expect_usage OPTION ARGS...: status 2, nothing on stdout, and stderr is
# "heapscope: OPTION: reason" followed by the --help hint.
expect_usage() {
    local opt=$1
    shift
    run "$@"
    [ "$rc" -eq 2 ] || fail "heapscope $*: exit $rc, want 2"
    [ ! -s "$tmp/out" ] || fail "heapscope $*: wrote to stdout"
    [ "$(wc -l <"$tmp/err")" -eq 2 ] || fail "heapscope $*: stderr is not two lines: $(cat "$tmp/err")"
    case "$(head -n 1 "$tmp/err")" in
    "heapscope: $opt: "?*) ;;
    *) fail "heapscope $*: first line does not name $opt: $(head -n 1 "$tmp/err")" ;;
    esac
    [ "$(tail -n 1 "$tmp/err")" = "$try_line" ] || fail "heapscope $*: no --help hint"
}

# ---- --help and --version ---------------------------------------------------
for h in --help -h; do
    run "$h"
    [ "$rc" -eq 0 ] || fail "heapscope $h: exit $rc, want 0"
    [ ! -s "$tmp/err" ] || fail "heapscope $h: wrote to stderr"
    head -n 1 "$tmp/out" | grep -q '^Usage: heapscope' || fail "heapscope $h: no Usage line"
done
for opt in --workload --procs --gogc --memory-limit --max-heap --seed --duration \
    --headless --verify --fps --gctrace --stats-json --record --replay --export-cast \
    --screenshot --at --size --step --gc --attach --attach-bin --freeze --help --version; do
    grep -q -- "$opt\\b" "$tmp/out" || fail "--help does not mention $opt"
done
for short in -w -p -r -h -V; do
    grep -q -- "$short," "$tmp/out" || fail "--help does not mention $short"
done

for v in --version -V; do
    run "$v"
    [ "$rc" -eq 0 ] || fail "heapscope $v: exit $rc, want 0"
    [ ! -s "$tmp/err" ] || fail "heapscope $v: wrote to stderr"
    head -n 1 "$tmp/out" | grep -Eq '^heapscope [0-9]+\.[0-9]+\.[0-9]+$' ||
        fail "heapscope $v: first line is '$(head -n 1 "$tmp/out")'"
    grep -q 'Copyright' "$tmp/out" || fail "heapscope $v: no copyright line"
done

if [ -w /dev/full ]; then
    "$bin" --help >/dev/full 2>/dev/null
    rc=$?
    [ "$rc" -eq 1 ] || fail "heapscope --help >/dev/full: exit $rc, want 1"
fi

# ---- bad values: exit 2, one line naming the option -----------------------
expect_usage --procs --procs 0
expect_usage --procs -p abc
expect_usage --procs --procs
expect_usage --view --view nope --headless
expect_usage --view --view 6 --headless
expect_usage --gogc --gogc abc
expect_usage --duration --duration 5x
expect_usage --max-heap --max-heap 12parsecs
expect_usage --memory-limit --memory-limit -1GiB
expect_usage --gc --gc foo
expect_usage --fps --fps 0
expect_usage --fps --fps 241
expect_usage --size --size 10 --replay r.hsr --screenshot f.txt
expect_usage --seed --seed -3
expect_usage --gctrace --gctrace=9
expect_usage --workload --workload ''
expect_usage --attach --attach abc
expect_usage --at --at soon --replay r.hsr
expect_usage --frobnicate --frobnicate
expect_usage -x -x
expect_usage --headless --headless=yes
expect_usage "'stray'" stray

# ---- combinations -------------------------------------------------------------
expect_usage --export-cast --export-cast a.cast
expect_usage --screenshot --screenshot a.svg
expect_usage --at --at 3s
expect_usage --freeze --freeze
expect_usage --attach-bin --attach-bin ./server
expect_usage --replay --replay r.hsr --attach 1

expect_usage --at --at 3 --replay r.hsr
expect_usage --max-heap --max-heap 1
expect_usage --max-heap --max-heap 4095KiB

# ---- options that would do nothing in the mode chosen (DESIGN.md's modes) ------
expect_usage --workload --replay r.hsr -w churn --screenshot a.txt
expect_usage --verify --verify --replay r.hsr
expect_usage --step --headless --step --duration 2s
expect_usage --headless --replay r.hsr --headless
expect_usage --duration --replay r.hsr --export-cast a.cast --duration 2s
expect_usage --gctrace --gctrace
expect_usage --stats-json --stats-json s.json
expect_usage --fps --headless --fps 10
expect_usage --view --headless --view ps
expect_usage --record --attach 1 --record r.hsr
expect_usage --gogc --attach 1 --gogc 50
expect_usage --view --attach 1 --headless --view ps
expect_usage --stats-json --attach 1 --stats-json s.json
head -n 1 "$tmp/err" | grep -q "does not apply to the view of an attached program (--attach)" ||
    fail "--attach --stats-json: the message does not name the mode: $(head -n 1 "$tmp/err")"
# Every option of heapscope's own runtime, with a recording or a Go program
# as the source instead.
for spec in "--procs 2" "--gogc 50" "--memory-limit 1GiB" "--max-heap 64MiB" "--seed 1" \
    "--gc greentea" "--verify" "--step" "--record x.hsr" "--workload churn"; do
    # shellcheck disable=SC2086 # split on purpose
    set -- $spec
    expect_usage "$1" --replay r.hsr $spec
    expect_usage "$1" --attach 1 $spec
    expect_usage "$1" --replay r.hsr --screenshot a.txt $spec
done
for spec in "--gctrace" "--stats-json s.json" "--view ps" "--step"; do
    # shellcheck disable=SC2086
    set -- $spec
    case $1 in
    --gctrace | --stats-json) expect_usage "$1" $spec ;; # the live view
    *) expect_usage "$1" --headless --duration 1s $spec ;; # a headless run
    esac
done

# ---- the mistake in the input comes before "no terminal" -------------------------
# expect_input OPTION ARGS...: status 2, and the first line of stderr is
# about OPTION, not about the terminal (stdout is a file here).
expect_input() {
    local opt=$1
    shift
    run "$@"
    [ "$rc" -eq 2 ] || fail "heapscope $*: exit $rc, want 2"
    head -n 1 "$tmp/err" | grep -q "^heapscope: $opt: " ||
        fail "heapscope $*: first line is not about $opt: $(head -n 1 "$tmp/err")"
    ! grep -q "terminal" "$tmp/err" || fail "heapscope $*: talks of the terminal: $(cat "$tmp/err")"
}
expect_input --workload -w nosuch
expect_input --workload -w trace:file=/nonexistent
expect_input --workload -w churn:live=1
expect_input --record --record "$tmp/nodir/x.hsr"
expect_input --workload -w nosuch --record "$tmp/x.hsr"
[ ! -e "$tmp/x.hsr" ] || fail "a refused live view left $tmp/x.hsr behind"
run --record "$tmp/x.hsr"
[ ! -e "$tmp/x.hsr" ] || fail "the live view with no terminal left $tmp/x.hsr behind"
expect_input --replay --replay "$tmp/missing.hsr"
expect_input --replay --replay "$tmp/missing.hsr" --screenshot f.txt --at 2
grep -q "^heapscope: --replay: .*missing.hsr" "$tmp/err" || fail "--replay of a missing file: $(cat "$tmp/err")"
# With good input, the live view still says it needs a terminal.
run -w churn
[ "$rc" -eq 2 ] || fail "live view with no terminal: exit $rc, want 2"
grep -q "standard output is not one" "$tmp/err" || fail "live view with no terminal: $(cat "$tmp/err")"

if [ "$failures" -ne 0 ]; then
    echo "test_exitcodes: $failures failure(s)" >&2
    exit 1
fi
echo "test_exitcodes: all passed"
