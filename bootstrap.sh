#!/usr/bin/env bash
# bootstrap.sh — make a clone of heapscope ready to build on Debian 12:
#   1. install the Debian packages the build and the tests need, if missing
#      (as root; otherwise say which ones and how, and stop);
#   2. generate the build system (autoreconf -fi);
#   3. run ./configure with the arguments given.
# Quiet unless something is missing or fails.  Safe to run again.
#
# Usage: ./bootstrap.sh [--bench] [--fuzz] [CONFIGURE-OPTION]...
#   --bench   also install what `make bench` compares against
#   --fuzz    also install clang and libFuzzer for `make fuzz`
set -euo pipefail

# What the build and `make check` need.  Add packages here.
packages=(build-essential autoconf automake libtool pkg-config libncurses-dev check tmux
    libzstd-dev asciinema libdw-dev libelf-dev golang-go)
# What the benchmarks compare with (--bench).
bench_packages=(libgc-dev libgoogle-perftools-dev libjemalloc-dev libmimalloc-dev)
# What `make fuzz` builds with (--fuzz).
fuzz_packages=(clang libclang-rt-14-dev)

usage() {
    sed -n 's/^# \{0,1\}//; 2,11p' "$0"
}

configure_args=()
for arg in "$@"; do
    case "$arg" in
    --bench) packages+=("${bench_packages[@]}") ;;
    --fuzz) packages+=("${fuzz_packages[@]}") ;;
    -h | --help) usage; exit 0 ;;
    *) configure_args+=("$arg") ;;
    esac
done

cd "$(dirname "$0")"
log=$(mktemp "${TMPDIR:-/tmp}/heapscope-bootstrap.XXXXXX")
trap 'rm -f "$log"' EXIT

# run_quietly CMD...: run CMD with its output in $log; show the log if it fails.
run_quietly() {
    if ! "$@" >"$log" 2>&1; then
        cat "$log" >&2
        echo "bootstrap.sh: '$*' failed" >&2
        exit 1
    fi
}

missing_packages() {
    local p
    for p in "${packages[@]}"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
            echo "$p"
        fi
    done
}

install_packages() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        echo "bootstrap.sh: not a Debian system; make sure these are installed:" \
            "${packages[*]}" >&2
        return
    fi
    local missing
    mapfile -t missing < <(missing_packages)
    [ "${#missing[@]}" -eq 0 ] && return
    if [ "$(id -u)" -ne 0 ]; then
        echo "bootstrap.sh: these Debian packages are missing: ${missing[*]}" >&2
        echo "Install them with:" >&2
        echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    run_quietly apt-get update -q
    run_quietly apt-get install -y -q --no-install-recommends "${missing[@]}"
}

install_packages
run_quietly autoreconf -fi
run_quietly ./configure ${configure_args[@]+"${configure_args[@]}"}
