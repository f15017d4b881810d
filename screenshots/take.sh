#!/usr/bin/env bash
# take.sh — screenshots of the running program for the README, each view
# captured from a real terminal (tmux at 160x48): NAME.ansi keeps the colors
# (show it with `cat` in a 256-color terminal), NAME.txt is the same screen
# taken with NO_COLOR=1, where glyphs carry every state.
#
# Usage (from the top of a built tree): screenshots/take.sh [WORKLOAD]
set -eu
workload=${1:-web}
bin=$(pwd)/heapscope
out=$(cd "$(dirname "$0")" && pwd)
[ -x "$bin" ] || { echo "take.sh: build heapscope first" >&2; exit 1; }
sock="hs-shots-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null' EXIT

prefix=""
. "$out/shoot.sh"

for color in 1 0; do
    env=TERM=xterm-256color
    [ "$color" = 0 ] && env="$env NO_COLOR=1"
    tm kill-server 2>/dev/null || true
    tm new-session -d -s hs -x 160 -y 48 "env $env $bin --workload $workload --procs 2 --seed 7"
    sleep 6
    shoot heap 1
    shoot central 3
    shoot procs 4
    shoot timeline 5
    shoot span 2 l l l
    tm send-keys -t hs q
    # Step mode, entered after a few seconds of running: a cycle held at its
    # start, then in mark after some objects were scanned.
    tm kill-server 2>/dev/null || true
    tm new-session -d -s hs -x 160 -y 48 "env $env $bin --workload $workload --procs 2 --seed 7"
    sleep 5
    shoot step-sweep-termination 1 s
    shoot step-mark s ']' ']' n n n
    shoot step-mark-span 2 l l l l l l l l
    shoot help 1 '?'
    tm send-keys -t hs q
done
echo "screenshots in $out"
