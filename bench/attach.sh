#!/usr/bin/env bash
# attach.sh — `make bench`'s attach part: build bench/go/heap.go with the
# newest Go here (tests/attach/gotargets.sh), then run attach_bench on it.
# Usage: bench/attach.sh ./bench/attach_bench
set -eu
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
. "$srcdir/tests/attach/gotargets.sh"
read -r version go < <(go_toolchains | head -n 1) || { echo "attach: no Go here; skipped"; exit 0; }
dir="$(pwd)/bench/go-build"
mkdir -p "$dir"
export GOCACHE="$dir/cache"
go_build "$go" "$srcdir/bench/go/heap.go" "$dir/heap-$version"
"$1" "$dir/heap-$version"
