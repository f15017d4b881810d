#!/usr/bin/env bash
# test_tmux.sh — the live view in a real terminal, driven as a person would:
# tmux at a fixed size, keys typed with send-keys, the screen read back with
# capture-pane.  Checks: the GC bar and the arena map appear; g raises the
# cycle count (with GOGC off, only g starts cycles); space stops the world,
# its frames marked exact, and resumes it; --step then s walks the phases in
# Go's order, with gray objects appearing under n and gone at mark
# termination; resizes to 80x24,
# below it, 20x5, 100 resizes in a second and back; ? shows the help; NO_COLOR=1 shows the glyph legend;
# q exits 0 with the terminal restored (TERM=vt100, with no alternate screen,
# left clear; started at 80x24 and grown, no rows left behind); a 6 s SIGSTOP
# is not counted as dropped frames; SIGTERM and
# SIGHUP restore it too; TERM=dumb is
# refused with a sentence and exit status 2.
#
# Waiting is by polling the screen (up to 20 s for each thing awaited), never
# a fixed sleep that decides the result.
#
# Run by `make check` with top_builddir exported.
set -u
bin="$(cd "${top_builddir:-.}" && pwd)/heapscope"
[ -x "$bin" ] || { echo "test_tmux: $bin is not built" >&2; exit 99; }
command -v tmux >/dev/null || { echo "test_tmux: tmux is not installed" >&2; exit 77; }
sock="hs-test-$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-tmux.XXXXXX") || exit 99
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    echo "---- screen ----" >&2
    screen >&2
    failures=$((failures + 1))
}
screen() { tm capture-pane -p -t hs 2>/dev/null; }
# wait_for TEXT: true once the screen shows TEXT (a fixed string).
wait_for() {
    for _ in $(seq 200); do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
    done
    return 1
}
# wait_gone TEXT
wait_gone() {
    for _ in $(seq 200); do
        screen | grep -qF -- "$1" || return 0
        sleep 0.1
    done
    return 1
}
# start ARGS...: heapscope in a fresh 160x48 session; its exit status lands
# in $tmp/rc, and the shell stays so the screen can be read after it.
start() {
    tm kill-server 2>/dev/null
    # A new server must not race the old one's exit: wait until it is gone.
    for _ in $(seq 50); do tm list-sessions >/dev/null 2>&1 || break; sleep 0.1; done
    rm -f "$tmp/rc"
    for _ in 1 2 3 4 5; do
        tm new-session -d -s hs -x "${COLS_AT_START:-160}" -y "${ROWS_AT_START:-48}" \
            "env $ENVIRONMENT $bin $* 2>$tmp/err; echo \$? >$tmp/rc; echo EXITED; sleep 600" &&
            tm has-session -t hs 2>/dev/null && return 0
        sleep 0.2
    done
    echo "test_tmux: cannot start a tmux session" >&2
    exit 99
}
ENVIRONMENT="TERM=xterm-256color"
cycle() { screen | sed -n '1s/.*cycle \([0-9]*\).*/\1/p'; }
wait_exit() {
    for _ in $(seq 200); do
        [ -s "$tmp/rc" ] && return 0
        sleep 0.1
    done
    return 1
}

# ---- no arguments at all: the live view of the default workload ------------------------------
start
wait_for "heapscope │ GC" || fail "heapscope alone: no GC bar"
wait_for "│ web " || fail "heapscope alone: the workload is not web"
wait_for "cell (fit), z/Z zoom" || fail "heapscope alone: no arena map"
tm send-keys -t hs q
wait_exit || fail "heapscope alone: q did not quit"
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || fail "heapscope alone: exit status $(cat "$tmp/rc"), want 0"

# ---- the live view, GC now, stop the world, help, resize, quit -------------------------
# GOGC off, and little garbage: no cycle but the ones g starts, a heap that
# grows slowly.  The arenas' addresses are Go's hint unless the address space
# is taken (as under the sanitizers): the map is found by its caption.
start --workload churn:live=4MiB,garbage=16 --procs 2 --gogc off --seed 1
wait_for "heapscope │ GC" || fail "no GC bar"
wait_for "cell (fit), z/Z zoom" || fail "no arena map"
wait_for "LIVE running" || fail "no status line"
[ "$(cycle)" = 0 ] || fail "a cycle ran with GOGC off before g: $(cycle)"
tm send-keys -t hs g
for _ in $(seq 200); do [ "$(cycle)" -ge 1 ] 2>/dev/null && break; sleep 0.1; done
[ "$(cycle)" -ge 1 ] 2>/dev/null || fail "g did not start a cycle"
tm send-keys -t hs Space
wait_for "WORLD STOPPED" || fail "space did not stop the world"
# Everything parked, the sweeper and scavenger too: the frames are exact.
wait_for ", exact" || fail "the frames taken while the world was stopped are not exact"
a=$(screen | sed -n '2s/.*in use \([^ ]* [^ ]*\).*/\1/p')
sleep 0.5
b=$(screen | sed -n '2s/.*in use \([^ ]* [^ ]*\).*/\1/p')
[ -n "$a" ] && [ "$a" = "$b" ] || fail "the heap changed while the world was stopped: $a, then $b"
tm send-keys -t hs Space
wait_for "LIVE running" || fail "space did not resume the world"
tm send-keys -t hs '?'
wait_for "heapscope keys" || fail "? shows no help"
tm send-keys -t hs x
wait_gone "heapscope keys" || fail "a key did not close the help"
for v in 2:"allocCache" 3:"partial spans" 4:"noscan" 5:"heap goal" 1:"z/Z zoom"; do
    tm send-keys -t hs "${v%%:*}"
    wait_for "${v#*:}" || fail "view ${v%%:*} does not show '${v#*:}'"
done
tm resize-window -t hs -x 80 -y 24
wait_for "│ GOGC off │ 2 Ps │ alloc " || fail "no whole GC bar at 80x24"
screen | grep -qF "needs 80x24" && fail "80x24 is said to be too small"
# At 80x24 every view keeps the hint, and help scrolls to its last line.
for v in 1 2 3 4 5; do
    tm send-keys -t hs "$v"
    sleep 0.3
    screen | tail -n 1 | grep -qF "? help  q quit" || fail "view $v at 80x24: no '? help  q quit'"
done
tm send-keys -t hs 1 '?'
wait_for "heapscope keys" || fail "? shows no help at 80x24"
tm send-keys -t hs PgDn PgDn
wait_for "reds to 32 KiB" || fail "help at 80x24 does not scroll to its end"
tm send-keys -t hs x
wait_gone "heapscope keys" || fail "a key did not close the help at 80x24"
tm resize-window -t hs -x 70 -y 20
wait_for "needs 80x24; this is 70x20." || fail "70x20 not said to be too small"
tm resize-window -t hs -x 20 -y 5
wait_for "needs 80x24; this is" || fail "20x5 not said to be too small"
wait_for "20x5." || fail "20x5: its size is not said"
# 100 resizes in about a second: it keeps up and keeps running.
for _ in $(seq 50); do
    tm resize-window -t hs -x 100 -y 30
    tm resize-window -t hs -x 160 -y 48
done
wait_for "z/Z zoom" || fail "no arena map after 100 resizes ending at 160x48"
[ -s "$tmp/rc" ] && fail "the program ended during the resizes"
tm send-keys -t hs q
wait_exit || fail "q did not quit"
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || fail "q: exit status $(cat "$tmp/rc"), want 0"
wait_for "EXITED"
[ "$(tm display -p -t hs '#{alternate_on}')" = 0 ] || fail "the terminal is still in the alternate screen"
[ "$(tm display -p -t hs '#{cursor_flag}')" = 1 ] || fail "the cursor is still hidden"

# ---- step mode, without color: the glyphs carry the tri-color states ----------------------
ENVIRONMENT="TERM=xterm-256color NO_COLOR=1"
start --workload churn --procs 1 --step --seed 1
wait_for "○ white: unmarked" || fail "NO_COLOR=1: no glyph legend"
wait_for "STEP: held at sweep termination" || fail "--step: not held at sweep termination"
screen | grep -qF "GC sweep termination  cycle 1" || fail "--step: the GC bar does not say sweep termination"
phases=""
tm send-keys -t hs s
wait_for "STEP: held at mark " || fail "s: not held at mark"
phases="$phases mark"
# n: scan objects a step at a time; gray objects appear on the heap map.
gray=0
for _ in $(seq 10); do
    tm send-keys -t hs n
    sleep 0.3
    gray=$(screen | sed -n '4,40p' | grep -o '◐' | wc -l)
    [ "$gray" -gt 0 ] && break
done
[ "$gray" -gt 0 ] || fail "n: no gray object appeared during mark"
# The span view shows them too: walk the spans until one has gray.
tm send-keys -t hs 2
wait_for "allocCache" || fail "no span view"
found=0
for _ in $(seq 60); do
    if screen | sed -n '4,45p' | cut -c41- | grep -qF '◐'; then found=1; break; fi
    tm send-keys -t hs l
    sleep 0.05
done
[ "$found" = 1 ] || fail "no span showed a gray object"
tm send-keys -t hs 1
tm send-keys -t hs s
wait_for "STEP: held at mark termination" || fail "s: not held at mark termination"
phases="$phases mark_termination"
gray=$(screen | sed -n '4,40p' | grep -o '◐' | wc -l)
[ "$gray" = 0 ] || fail "gray objects left at mark termination: $gray"
screen | sed -n '4,40p' | grep -qF '●' || fail "no black object at mark termination"
tm send-keys -t hs s
wait_for "STEP: held at sweep " || fail "s: not held at sweep"
phases="$phases sweep"
tm send-keys -t hs s
wait_for "GC off  cycle 1" || fail "s: the cycle did not end (off)"
phases="$phases off"
[ "$phases" = " mark mark_termination sweep off" ] || fail "phases in the wrong order: $phases"
pid=$(pgrep -P "$(tm display -p -t hs '#{pane_pid}')" | head -n 1)
[ -n "$pid" ] && kill -TERM "$pid"
wait_exit || fail "SIGTERM did not end the live view"
[ "$(cat "$tmp/rc")" = 143 ] || fail "SIGTERM: exit status $(cat "$tmp/rc"), want 143"
wait_for "EXITED"
[ "$(tm display -p -t hs '#{alternate_on}')" = 0 ] || fail "SIGTERM: the terminal is still in the alternate screen"

# ---- recording in the live view (--record, m), then its replay's transport ------------------
start --workload churn:live=4MiB --procs 1 --record "$tmp/live.hsr"
wait_for "● REC $tmp/live.hsr" || fail "--record: no REC on the status line"
tm send-keys -t hs m
wait_for "marker caption (Enter drops it, Esc cancels):" || fail "m: no caption prompt"
tm send-keys -t hs -l "big moment"
tm send-keys -t hs Enter
wait_for "marker dropped: big moment" || fail "m: the marker was not dropped"
sleep 1
# R stops it; R twice more within a second makes two new files beside it, not one overwritten.
tm send-keys -t hs R
wait_gone "REC $tmp/live.hsr" || fail "R: the recording did not stop"
tm send-keys -t hs R R R R
sleep 1
tm send-keys -t hs q
wait_exit || fail "recording: q did not quit"
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || fail "recording: exit status $(cat "$tmp/rc")"
grep -q "^heapscope: recorded [0-9]* frames\{0,1\} to $tmp/heapscope-" "$tmp/err" || fail "no recording report: $(cat "$tmp/err")"
n=$(find "$tmp" -maxdepth 1 -name 'heapscope-*.hsr' | wc -l)
[ "$n" = 2 ] || fail "R R R R: $n new recordings beside live.hsr, want 2: $(ls "$tmp")"
start --replay "$tmp/live.hsr"
wait_for " REPLAY ▶" || fail "--replay: not playing"
tm send-keys -t hs Space
wait_for " REPLAY ❚❚" || fail "--replay: space did not pause"
tm send-keys -t hs Home
wait_for "frame 1 of " || fail "--replay: Home did not go to the first frame"
tm send-keys -t hs .
wait_for "frame 2 of " || fail "--replay: . did not step a frame"
tm send-keys -t hs . . . . . , # keys faster than frames decode all count
wait_for "frame 6 of " || fail "--replay: a burst of . and , did not land on frame 6"
tm send-keys -t hs ]
wait_for "big moment" || fail "--replay: ] did not reach the marker"
tm send-keys -t hs ]
wait_for "no marker after this frame" || fail "--replay: ] past the last marker said nothing"
tm send-keys -t hs 3
wait_for "partial spans" || fail "--replay: the central view does not work"
tm send-keys -t hs q
wait_exit || fail "--replay: q did not quit"
[ "$(cat "$tmp/rc" 2>/dev/null)" = 0 ] || fail "--replay: exit status $(cat "$tmp/rc")"

# ---- SIGHUP, as when the terminal closes ----------------------------------------------------
ENVIRONMENT="TERM=xterm-256color"
start --workload churn:live=4MiB --procs 1
wait_for "z/Z zoom" || fail "no arena map"
pid=$(pgrep -P "$(tm display -p -t hs '#{pane_pid}')" | head -n 1)
[ -n "$pid" ] && kill -HUP "$pid"
wait_exit || fail "SIGHUP did not end the live view"
[ "$(cat "$tmp/rc")" = 129 ] || fail "SIGHUP: exit status $(cat "$tmp/rc"), want 129"
wait_for "EXITED"
[ "$(tm display -p -t hs '#{alternate_on}')" = 0 ] || fail "SIGHUP: the terminal is still in the alternate screen"

# ---- stopped for 6 s (SIGSTOP, as Ctrl-Z or a debugger): not 180 frames "dropped" -------------
ENVIRONMENT="TERM=xterm-256color"
start --workload churn:live=4MiB --procs 1
wait_for "z/Z zoom" || fail "no arena map"
pid=$(pgrep -P "$(tm display -p -t hs '#{pane_pid}')" | head -n 1)
if [ -n "$pid" ]; then
    kill -STOP "$pid"
    sleep 6
    kill -CONT "$pid"
    sleep 1
    wait_for "z/Z zoom" || fail "no frame after SIGCONT"
    dropped=$(screen | tail -n 1 | sed -n 's/.* \([0-9]*\) frames dropped.*/\1/p')
    [ "${dropped:-0}" -lt 90 ] || fail "the 6 s stop counted as $dropped dropped frames"
fi
tm send-keys -t hs q
wait_exit || fail "q after SIGCONT did not end the live view"

# ---- a terminal with no alternate screen: q leaves it clear ----------------------------------
ENVIRONMENT="TERM=vt100"
start --workload churn:live=4MiB --procs 1
wait_for "z/Z zoom" || fail "TERM=vt100: no arena map"
tm send-keys -t hs q
wait_exit || fail "TERM=vt100: q did not end the live view"
[ "$(cat "$tmp/rc")" = 0 ] || fail "TERM=vt100: exit status $(cat "$tmp/rc"), want 0"
wait_for "EXITED"
screen | grep -qF "1 Heap   2 Span" && fail "TERM=vt100: the last frame is left under the shell's lines"

# ---- started small, grown, then q: nothing of the view left behind ---------------------------
ENVIRONMENT="TERM=xterm-256color"
COLS_AT_START=80 ROWS_AT_START=24 start --workload churn:live=4MiB --procs 1
wait_for "? help  q quit" || fail "80x24: no status line"
tm resize-window -t hs -x 160 -y 48
wait_for "z/Z zoom" || fail "160x48 again: no arena map"
tm send-keys -t hs q
wait_exit || fail "q after the resize did not end the live view"
wait_for "EXITED"
screen | grep -Eq "^[0-9a-f]{10,}  " && fail "rows of the heap map are left on the main screen after a resize"

# ---- terminals that cannot show it ---------------------------------------------------------
ENVIRONMENT="TERM=dumb"
start --workload churn
wait_exit || fail "TERM=dumb: did not exit"
[ "$(cat "$tmp/rc")" = 2 ] || fail "TERM=dumb: exit status $(cat "$tmp/rc"), want 2"
grep -qF "cannot move the cursor" "$tmp/err" || fail "TERM=dumb: no sentence: $(cat "$tmp/err")"

[ "$failures" -eq 0 ] && echo "ok: the live view in tmux"
exit $((failures > 0))
