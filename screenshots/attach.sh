#!/usr/bin/env bash
# attach.sh — screenshots of heapscope attached to a real Go program for the
# README: bench/go/heap.go (100 MiB live, one goroutine allocating) built by
# the newest Go here, read with --attach --freeze in tmux at 160x48, the
# display frozen (f) on a frame in mark with gray objects.
# attach-NAME.ansi keeps the colors, attach-NAME.txt is taken with NO_COLOR=1.
#
# Usage (from the top of a built tree): screenshots/attach.sh
set -eu
bin=$(pwd)/heapscope
out=$(cd "$(dirname "$0")" && pwd)
srcdir=$(cd "$out/.." && pwd)
[ -x "$bin" ] || { echo "attach.sh: build heapscope first" >&2; exit 1; }
. "$srcdir/tests/attach/gotargets.sh"
read -r version go < <(go_toolchains | head -n 1)
dir=$(pwd)/bench/go-build
mkdir -p "$dir"
export GOCACHE="$dir/cache"
go_build "$go" "$srcdir/bench/go/heap.go" "$dir/heap-$version"

sock="hs-shots-$$"
tm() { tmux -L "$sock" -f /dev/null "$@"; }
fifo=$(mktemp -u)
mkfifo "$fifo"
"$dir/heap-$version" 100 <"$fifo" >"$fifo.out" &
prog=$!
exec 3>"$fifo"
trap 'tm kill-server 2>/dev/null; kill $prog 2>/dev/null; rm -f "$fifo" "$fifo.out"' EXIT
until grep -q ready "$fifo.out"; do sleep 0.1; done
echo churn >&3

prefix=attach-
. "$out/shoot.sh"

for color in 1 0; do
    env=TERM=xterm-256color
    [ "$color" = 0 ] && env="$env NO_COLOR=1"
    tm kill-server 2>/dev/null || true
    tm new-session -d -s hs -x 160 -y 48 "env $env $bin --attach $prog --freeze"
    sleep 3
    # Freeze the display on a frame in mark (the program runs on) in which
    # a span holds gray objects (seen, not yet scanned: Go 1.26's inline
    # blocks), found by walking the span view; every view is shot from that
    # one moment.  Up to 20 frames are tried, 150 spans each.
    for _ in $(seq 20); do
        for _ in $(seq 400); do
            tm capture-pane -p -t hs | head -n 1 | grep -q "GC mark" && break
            sleep 0.05
        done
        tm send-keys -t hs f
        sleep 0.3
        if ! tm capture-pane -p -t hs | head -n 1 | grep -q "GC mark"; then
            tm send-keys -t hs End
            continue
        fi
        tm send-keys -t hs 2
        found=0
        for _ in $(seq 150); do
            sleep 0.05
            if tm capture-pane -p -t hs | grep -q "gray [1-9]"; then
                found=1
                break
            fi
            tm send-keys -t hs l
        done
        [ "$found" = 1 ] && break
        tm send-keys -t hs End
        tm send-keys -t hs 1
        sleep 0.2
    done
    shoot span
    shoot heap 1
    shoot central 3
    tm send-keys -t hs q
done
echo "screenshots in $out"
