# gotargets.sh — sourced by the attach tests and benchmarks: build
# tests/attach/target.go (or another program of tests/ or bench/) with every
# Go toolchain on this machine, one build per version, newest first.
#
# After `go_targets DIR`:
#   GO_TARGETS     the builds, newest Go first, space-separated
#   GO_NEWEST      the newest Go (a path to its go command)
#   GO_PIE         the newest Go's build as a position-independent executable
#   GO_SW          the newest Go's build with -ldflags='-s -w' (no DWARF)
#   GO_FULL, GO_STRIPPED   the newest Go's build and a copy of it stripped of
#                  its DWARF by strip(1) (empty without strip)
# go_build GO SRC OUT [FLAGS...] builds one program when OUT is older than SRC.
# Builds live in DIR with their own cache; no module, no network:
# GO111MODULE=off and GOTOOLCHAIN=local.
# Returns 1 (and says why) when there is no Go at all.

export GO111MODULE=off GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=

go_build() {
    local go=$1 src=$2 out=$3
    shift 3
    if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
        "$go" build "$@" -o "$out.tmp.$$" "$src" && mv "$out.tmp.$$" "$out"
    fi
}

# Every go command here with its version, newest version first.
go_toolchains() {
    local g v seen=""
    for g in /usr/local/go/bin/go "$(command -v go 2>/dev/null)" /usr/lib/go-*/bin/go; do
        [ -n "$g" ] && [ -x "$g" ] || continue
        v=$("$g" env GOVERSION 2>/dev/null) || continue
        case " $seen " in *" $v "*) continue ;; esac
        seen="$seen $v"
        echo "${v#go} $g"
    done | sort -rV
}

# The tests that build run in parallel: one builds, the others wait for it
# (flock on DIR/.lock, held until the shell that sourced this exits).
go_targets() {
    local dir=$1 src=${2:-${srcdir:-.}/tests/attach/target.go} v g
    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd)
    exec {go_lock}>"$dir/.lock"
    flock "$go_lock"
    export GOCACHE="$dir/cache"
    GO_TARGETS="" GO_NEWEST="" GO_PIE="" GO_SW="" GO_FULL="" GO_STRIPPED=""
    while read -r v g; do
        go_build "$g" "$src" "$dir/target-$v" || return 1
        GO_TARGETS="$GO_TARGETS $dir/target-$v"
        [ -n "$GO_NEWEST" ] || GO_NEWEST=$g
    done < <(go_toolchains)
    if [ -z "$GO_NEWEST" ]; then
        echo "no Go toolchain here (./bootstrap.sh installs golang-go)" >&2
        return 1
    fi
    GO_TARGETS=${GO_TARGETS# }
    GO_FULL=${GO_TARGETS%% *}
    GO_PIE=$dir/target-pie
    GO_SW=$dir/target-sw
    go_build "$GO_NEWEST" "$src" "$GO_PIE" -buildmode=pie || return 1
    go_build "$GO_NEWEST" "$src" "$GO_SW" -ldflags='-s -w' || return 1
    if command -v strip >/dev/null 2>&1; then
        GO_STRIPPED=$dir/target-stripped
        if [ ! -x "$GO_STRIPPED" ] || [ "$GO_FULL" -nt "$GO_STRIPPED" ]; then
            strip --strip-debug -o "$GO_STRIPPED.tmp.$$" "$GO_FULL" &&
                mv "$GO_STRIPPED.tmp.$$" "$GO_STRIPPED" || GO_STRIPPED=""
        fi
    else
        GO_FULL=""
    fi
    flock -u "$go_lock"
    return 0
}
