# cliutil.sh — what the command line's shell tests share, sourced as
#   . "$(dirname "$0")/cliutil.sh" NAME
# It leaves $bin, the built heapscope (or exits 99 when it is not built);
# $tmp, a directory removed on exit; $failures and fail MESSAGE, which counts
# a failure; and run ARGS..., which runs heapscope leaving $rc, $tmp/out and
# $tmp/err.  NAME names the test in its messages and its directory.
bin="${top_builddir:-.}/heapscope"
if [ ! -x "$bin" ]; then
    echo "$1: $bin is not built" >&2
    exit 99
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-${1#test_}.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

run() {
    "$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
}
