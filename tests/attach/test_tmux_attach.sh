#!/usr/bin/env bash
# test_tmux_attach.sh — the attached view in a real terminal, as a person
# would use it: heapscope --attach --freeze over tests/attach/target.go in
# tmux at a fixed size, keys typed with send-keys, the screen read back with
# capture-pane.  Checks: the GC bar and the arena map; the status line names
# the pid and the freeze pause; the legend says "allocated, unmarked" and,
# the program being Go 1.26's (Green Tea), names gray as Go records it in
# its 16-512 B spans; the span view (2, Enter) and the Ps and central
# views open; g (GC now) is refused as not possible with this source;
# a runtime.GC() in the program raises the cycle shown; the program exiting
# leaves the last frame with a word on the status line; q exits 0.
#
# Waiting is by polling the screen (up to 20 s for each thing awaited).
# Run by `make check` with top_builddir and srcdir exported.
set -u
top_builddir=${top_builddir:-.}
srcdir=${srcdir:-.}
bin="$(cd "$top_builddir" && pwd)/heapscope"
[ -x "$bin" ] || { echo "test_tmux_attach: $bin is not built" >&2; exit 99; }
command -v tmux >/dev/null || { echo "test_tmux_attach: tmux is not installed" >&2; exit 77; }
. "$srcdir/tests/attach/gotargets.sh"
go_targets "$top_builddir/tests/attach/go" || { echo "SKIP: no Go"; exit 77; }

sock="hs-attach-$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-tmux-attach.XXXXXX") || exit 99
tm() { tmux -L "$sock" -f /dev/null "$@"; }
tpid=""
cleanup() {
    tm kill-server 2>/dev/null
    [ -z "$tpid" ] || { kill -9 "$tpid" 2>/dev/null; wait "$tpid" 2>/dev/null; }
    rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
screen() { tm capture-pane -p -t hs 2>/dev/null; }
fail() {
    echo "FAIL: $*" >&2
    echo "---- screen ----" >&2
    screen >&2
    failures=$((failures + 1))
}
wait_for() {
    for _ in $(seq 200); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
cycle() { screen | sed -n '1s/.*cycle \([0-9]*\).*/\1/p'; }

# The program, its input a fifo held open here.
mkfifo "$tmp/in"
"$GO_FULL" <"$tmp/in" >"$tmp/target.out" 2>&1 &
tpid=$!
exec {tin}>"$tmp/in"
for _ in $(seq 200); do grep -q ready "$tmp/target.out" && break; sleep 0.05; done

tm new-session -d -s hs -x 160 -y 48 \
    "env TERM=xterm-256color $bin --attach $tpid --freeze 2>$tmp/err; echo \$? >$tmp/rc; sleep 600" ||
    { echo "test_tmux_attach: cannot start tmux" >&2; exit 99; }

wait_for "heapscope │ GC" || fail "no GC bar"
wait_for "cell (fit), z/Z zoom" || fail "no arena map"
wait_for "pid $tpid, frozen" || fail "the status line does not name the pid and the freeze"
wait_for "allocated, unmarked" || fail "the legend does not say allocated, unmarked"
case "$GO_FULL" in
*target-1.2[6-9]*) wait_for "gray: seen, not scanned (16–512 B)" || fail "the legend has no gray" ;;
*) screen | grep -q "gray" && fail "the legend shows gray" ;;
esac
screen | grep -q "target-1" || fail "no program name on screen"

tm send-keys -t hs g
wait_for "not possible with this source" || fail "g was not refused"

before=$(cycle)
echo gc >&"$tin"
for _ in $(seq 200); do
    now=$(cycle)
    [ -n "$now" ] && [ -n "$before" ] && [ "$now" -gt "$before" ] && break
    sleep 0.1
done
[ -n "$now" ] && [ "$now" -gt "${before:-0}" ] || fail "runtime.GC() did not raise the cycle ($before -> $now)"

tm send-keys -t hs 3
wait_for "Central" || fail "no central view"
tm send-keys -t hs 4
wait_for "tiny block" || fail "no Ps view"
tm send-keys -t hs 2
wait_for "marked" || fail "no span view legend"

echo exit >&"$tin"
wait "$tpid"
tpid=""
wait_for "has exited" || fail "the program's exit is not on the status line"
# The last frame stays, and the status line no longer calls it live.
wait_for "ENDED " || fail "the status line does not say ENDED: $(tm capture-pane -p -t hs | tail -1)"
tm capture-pane -p -t hs | tail -1 | grep -q "LIVE" && fail "the status line still says LIVE after the exit"
tm send-keys -t hs q
for _ in $(seq 200); do [ -s "$tmp/rc" ] && break; sleep 0.1; done
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || fail "q: exit status $(cat "$tmp/rc" 2>/dev/null), stderr $(cat "$tmp/err")"

if [ "$failures" -ne 0 ]; then
    echo "test_tmux_attach: $failures failures" >&2
    exit 1
fi
echo "test_tmux_attach: all passed"
