# common.sh — what the benchmark scripts share, sourced by them as
#   . "$(dirname "$0")/common.sh" "$@"
# their arguments (HEAPSCOPE [DEPTH [PROCS]], RUNS from the environment), a
# scratch directory removed on exit, median, and find_go (the newest Go).
# shellcheck shell=bash disable=SC2034 # the variables are the caller's

hs=${1:?usage: $(basename "$0") HEAPSCOPE [DEPTH [PROCS]]}
depth=${2:-18}
procs=${3:-2}
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# find_go: "PATH VERSION" of the newest Go on this machine, or nothing.
find_go() {
    local g best="" bestv=""
    for g in /usr/local/go/bin/go "$(command -v go || true)" /usr/lib/go-1.19/bin/go; do
        [ -x "$g" ] || continue
        local v
        v=$("$g" env GOVERSION 2>/dev/null) || continue
        if [ -z "$best" ] || [ "$(printf '%s\n%s\n' "$bestv" "$v" | sort -V | tail -1)" = "$v" ]; then
            best=$g
            bestv=$v
        fi
    done
    [ -n "$best" ] && echo "$best $bestv"
}
