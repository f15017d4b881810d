#!/usr/bin/env bash
# take.sh — the README's pictures, from the running program:
#   1. the live view of WORKLOAD (default web) runs in a real terminal (tmux,
#      160x48) with --record: a few seconds running, then s to hold a cycle,
#      s to mark, and n to scan some objects;
#   2. the SVG screenshots are frames of that recording, drawn by
#      --replay --screenshot through the same views (tour.cast is all of it,
#      by --export-cast, for asciinema play);
#   3. NAME.txt are the same screens taken from the terminal with NO_COLOR=1,
#      where glyphs carry every state (the README shows one inline).
#
# Usage (from the top of a built tree): screenshots/take.sh [WORKLOAD]
set -eu
workload=${1:-web}
bin=$(pwd)/heapscope
out=$(cd "$(dirname "$0")" && pwd)
[ -x "$bin" ] || { echo "take.sh: build heapscope first" >&2; exit 1; }
sock="hs-shots-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
rec=$(mktemp "${TMPDIR:-/tmp}/hs-tour.XXXXXX.hsr")
trap 'tm kill-server 2>/dev/null; rm -f "$rec" "$rec.err"' EXIT

# fresh CMD: a new 160x48 session running CMD, once the old server is gone.
fresh() {
    tm kill-server 2>/dev/null || true
    for _ in $(seq 50); do tm list-sessions >/dev/null 2>&1 || break; sleep 0.1; done
    tm new-session -d -s hs -x 160 -y 48 "$1"
}
keys() {
    for k in "$@"; do
        tm send-keys -t hs "$k"
        sleep 0.4
    done
}
quit() {
    tm send-keys -t hs q
    for _ in $(seq 100); do tm has-session -t hs 2>/dev/null || return 0; sleep 0.1; done
}

# ---- 1. the recording ------------------------------------------------------------------------
fresh "env TERM=xterm-256color $bin --workload $workload --procs 2 --seed 7 --record $rec 2>$rec.err"
sleep 8
keys s
sleep 1
keys s ']' ']' n n n
sleep 1
quit
frames=$(sed -n 's/^heapscope: recorded \([0-9]*\) frames.*/\1/p' "$rec.err")
[ -n "$frames" ] || { echo "take.sh: no recording: $(cat "$rec.err")" >&2; exit 1; }

# ---- 2. SVG frames and the cast ------------------------------------------------------------------
shot() { # NAME VIEW AT
    "$bin" --replay "$rec" --screenshot "$out/$1.svg" --view "$2" --at "$3" --size 160x48
}
shot heap heap 6s
shot central central 6s
shot procs ps 6s
shot timeline timeline 7.5s
shot step-mark heap "$frames"
"$bin" --replay "$rec" --export-cast "$out/tour.cast" --size 160x48

# ---- 3. the same screens without color, from the terminal ----------------------------------------
fresh "env TERM=xterm-256color NO_COLOR=1 $bin --workload $workload --procs 2 --seed 7"
sleep 6
tm capture-pane -p -t hs >"$out/heap.txt"
keys s
sleep 1
keys s ']' ']' n n n
sleep 1
tm capture-pane -p -t hs >"$out/step-mark.txt"
keys 2 l l l l l l l l
tm capture-pane -p -t hs >"$out/step-mark-span.txt"
keys 1 '?'
tm capture-pane -p -t hs >"$out/help.txt"
quit
echo "screenshots in $out: $frames frames recorded"
