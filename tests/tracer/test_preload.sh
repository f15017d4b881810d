#!/usr/bin/env bash
# test_preload.sh — libheapscope-trace.so preloaded into real programs, and
# their traces replayed by heapscope:
#   - python3 and gcc start and finish under it (a hang is a failure), with
#     the same output as without it;
#   - traces of python3 and of sort on a generated file decode (hstrace.py,
#     a second reader written from doc/trace-format.md), and the replay's
#     counts of records, threads, allocations, bytes, frees, unknown frees
#     and failed calls equal what hstrace.py counts in the file;
#   - a program of 4 threads: exactly the calls it made, each on its thread,
#     each freed (by another thread); its replay on 2 Ps agrees too;
#   - fork: the child's calls in PATH.<pid>, marked as forked, the parent's
#     in PATH; forking while other threads allocate does not hang; a
#     process started by exec writes PATH.<pid>;
#   - truncated or corrupt traces: exit 2 and the byte offset.
#
# Run by `make check` with top_builddir exported; by hand:
#   top_builddir=. tests/tracer/test_preload.sh
set -u

build="${top_builddir:-.}"
here=$(cd "$(dirname "$0")" && pwd)
bin="$build/heapscope"
lib=$(cd "$build/src/tracer/.libs" 2>/dev/null && pwd)/libheapscope-trace.so
python=/usr/bin/python3
reader="$here/hstrace.py"
for f in "$bin" "$lib" "$build/tests/tracer/mt_alloc" "$build/tests/tracer/fork_alloc" "$python"; do
    if [ ! -x "$f" ] && [ ! -f "$f" ]; then
        echo "test_preload: $f is missing" >&2
        exit 77
    fi
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-preload.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
failures=0
limit=120

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# traced FILE PROG ARGS...: run PROG (only PROG: not timeout) under the
# preload, tracing to FILE; $rc is its status, its output in $tmp/out, $tmp/err.
traced() {
    local file=$1
    shift
    timeout -k 5 "$limit" env HEAPSCOPE_TRACE="$file" LD_PRELOAD="$lib" "$@" \
        >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "$*: still running after ${limit}s under the preload"
}

# field JSON KEY: one number from hstrace.py's JSON.
field() {
    "$python" -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval("d" + sys.argv[2]))' \
        "$1" "$2"
}

# counted FILE [SIZE...]: hstrace.py's JSON for FILE (empty if it does not decode).
counted() {
    "$python" "$reader" "$@" 2>>"$tmp/reader.err" || fail "hstrace.py cannot read $1: $(tail -n 1 "$tmp/reader.err")"
}

# replay_agrees NAME FILE PROCS: heapscope replays FILE and reports what
# hstrace.py counts.
replay_agrees() {
    local name=$1 file=$2 procs=$3 json
    json=$(counted "$file")
    [ -n "$json" ] || return
    timeout -k 5 "$limit" "$bin" --headless --procs "$procs" --gogc 50 \
        --workload "trace:file=$file,speed=0" >"$tmp/replay" 2>"$tmp/replay.err" </dev/null
    local r=$?
    [ "$r" -eq 0 ] || { fail "$name: replay on $procs P exit $r: $(cat "$tmp/replay.err")"; return; }
    grep -q "^checks        OK" "$tmp/replay" || fail "$name: replay checks not OK"
    local want got
    want=$("$python" -c 'import json, sys; d = json.loads(sys.argv[1])
print("%(records)d records from %(threads)d thread" % d + "s" * (d["threads"] != 1))
print("replayed %(allocs)d allocations (%(bytes)d bytes) and %(frees)d frees" % d)
print("skipped %(unknown)d frees of blocks the trace never allocated, %(failed)d failed calls" % d)' "$json")
    got=$(sed -n -e 's/^trace [^:]*: \([0-9]* records from [0-9]* threads*\) over .*/\1/p' \
        -e 's/^\(replayed .* frees\) on [0-9]* Ps$/\1/p' -e '/^skipped /p' "$tmp/replay")
    [ "$got" = "$want" ] || fail "$name on $procs P: replay says
$got
the file holds
$want"
}

# ---- programs run normally under the preload ---------------------------------------
traced "$tmp/pass.hst" "$python" -c pass
[ "$rc" -eq 0 ] || fail "python3 -c pass under the preload: exit $rc: $(cat "$tmp/err")"
counted "$tmp/pass.hst" >/dev/null

gcc --version >"$tmp/gcc.want" 2>&1
traced "$tmp/gcc.hst" gcc --version
[ "$rc" -eq 0 ] || fail "gcc --version under the preload: exit $rc"
cmp -s "$tmp/out" "$tmp/gcc.want" || fail "gcc --version prints otherwise under the preload"
counted "$tmp/gcc.hst" >/dev/null

# ---- python3: record, count, replay ------------------------------------------------------
script='import json, decimal
d = {str(i): [i, str(i) * (i % 50), decimal.Decimal(i) / 7] for i in range(20000)}
s = json.dumps(d, default=str)
print(len(s), len(json.loads(s)))'
"$python" -c "$script" >"$tmp/py.want"
traced "$tmp/py.hst" "$python" -c "$script"
[ "$rc" -eq 0 ] || fail "python3 script under the preload: exit $rc: $(cat "$tmp/err")"
cmp -s "$tmp/out" "$tmp/py.want" || fail "python3 prints otherwise under the preload"
json=$(counted "$tmp/py.hst")
[ -z "$json" ] || [ "$(field "$json" '["allocs"]')" -gt 1000 ] || fail "python3: few allocations: $json"
replay_agrees python3 "$tmp/py.hst" 1
replay_agrees python3 "$tmp/py.hst" 2

# ---- sort on a generated file ---------------------------------------------------------------
"$python" -c 'import random
r = random.Random(1)
for i in range(200000): print(r.getrandbits(40), "x" * r.randrange(30))' >"$tmp/lines"
LC_ALL=C sort "$tmp/lines" >"$tmp/sort.want"
traced "$tmp/sort.hst" env LC_ALL=C sort "$tmp/lines"
[ "$rc" -eq 0 ] || fail "sort under the preload: exit $rc"
cmp -s "$tmp/out" "$tmp/sort.want" || fail "sort sorts otherwise under the preload"
# env is traced first, then execs sort: sort's trace is the descendant's file.
sortfile=$(ls "$tmp"/sort.hst.* 2>/dev/null | head -n 1)
[ -n "$sortfile" ] || fail "sort: no trace of the exec'd program (sort.hst.<pid>)"
[ -z "$sortfile" ] || replay_agrees sort "$sortfile" 2

# ---- four threads, every function, frees by another thread -----------------------------------
traced "$tmp/mt.hst" "$build/tests/tracer/mt_alloc" 4 300
[ "$rc" -eq 0 ] || fail "mt_alloc: exit $rc"
sizes=$(awk '{print $3}' "$tmp/out")
json=$(counted "$tmp/mt.hst" $sizes)
if [ -n "$json" ]; then
    "$python" - "$json" "$tmp/out" <<'EOF' || fail "mt_alloc: the trace does not hold exactly its calls"
import json, sys
d = json.loads(sys.argv[1])
bad = []
for line in open(sys.argv[2]):
    t, f, size = line.split()
    s = d["sized"][size]
    # 300 calls of each; each block freed once, by free or by realloc
    if s != {"calls": 300, "freed": 300, "threads": 1}:
        bad.append((t, f, s))
assert not bad, bad
assert d["threads"] >= 4, d["threads"]
EOF
    replay_agrees mt_alloc "$tmp/mt.hst" 2
fi

# ---- fork ---------------------------------------------------------------------------------------
traced "$tmp/fork.hst" "$build/tests/tracer/fork_alloc" plain 200
[ "$rc" -eq 0 ] || fail "fork_alloc plain: exit $rc"
child=$(cat "$tmp/out")
if [ -f "$tmp/fork.hst.$child" ]; then
    "$python" - "$tmp/fork.hst" "$tmp/fork.hst.$child" "$child" "$(counted "$tmp/fork.hst" 7001 7002 7003)" \
        "$(counted "$tmp/fork.hst.$child" 7001 7002 7003)" <<'EOF' || fail "fork: traces do not split as they should"
import json, struct, sys
parent_file, child_file, child, pj, cj = sys.argv[1:]
p, c = json.loads(pj)["sized"], json.loads(cj)["sized"]
ppid, pflags = struct.unpack_from("<II", open(parent_file, "rb").read(48), 12)[0], \
    struct.unpack_from("<I", open(parent_file, "rb").read(48), 20)[0]
cpid, cparent, cflags = struct.unpack_from("<III", open(child_file, "rb").read(48), 12)
assert p["7001"]["calls"] == 200 and p["7001"]["freed"] == 200, p
assert p["7003"]["calls"] == 200 and p["7003"]["freed"] == 200, p
assert p["7002"]["calls"] == 0, p
assert c["7002"] == {"calls": 200, "freed": 200, "threads": 1}, c
assert c["7001"]["calls"] == 0 and c["7003"]["calls"] == 0, c
assert json.loads(cj)["unknown"] >= 200  # the parent's blocks, freed in the child
assert pflags == 0 and cflags == 1 and cpid == int(child) and cparent == ppid, (pflags, cflags)
EOF
else
    fail "fork: no child trace fork.hst.$child"
fi

traced "$tmp/busy.hst" "$build/tests/tracer/fork_alloc" busy 200
[ "$rc" -eq 0 ] || fail "fork_alloc busy: exit $rc"
n=$(ls "$tmp"/busy.hst* | wc -l)
[ "$n" -eq 201 ] || fail "fork_alloc busy: $n trace files, want 201"
"$python" "$reader" --check "$tmp"/busy.hst* 2>"$tmp/check.err" ||
    fail "fork_alloc busy: $(cat "$tmp/check.err")"

# A shell that forks and execs: the shell writes PATH, python PATH.<pid>.
traced "$tmp/sh.hst" sh -c "$python -c pass; true"
[ "$rc" -eq 0 ] || fail "sh -c under the preload: exit $rc"
desc=$(ls "$tmp"/sh.hst.* 2>/dev/null | head -n 1)
if [ -n "$desc" ]; then
    flags=$("$python" -c 'import struct, sys; print(struct.unpack_from("<I", open(sys.argv[1], "rb").read(48), 20)[0])' "$desc")
    [ "$flags" = 2 ] || fail "exec'd python: header flags $flags, want 2 (descendant)"
    counted "$desc" >/dev/null
else
    fail "sh -c: no trace of the exec'd python"
fi
counted "$tmp/sh.hst" >/dev/null

# A file that cannot be written: the program runs anyway, with one warning.
traced "$tmp/no/such/dir/t.hst" "$python" -c 'print(6 * 7)'
[ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = 42 ] || fail "unwritable trace: the program did not run normally"
grep -q "^heapscope-trace: cannot write '$tmp/no/such/dir/t.hst'" "$tmp/err" ||
    fail "unwritable trace: stderr is '$(cat "$tmp/err")'"

# ---- bad traces: exit 2, naming the byte -----------------------------------------------------
# expect_bad FILE WORDS: heapscope refuses FILE before running, in two lines.
expect_bad() {
    timeout -k 5 "$limit" "$bin" --headless --procs 1 --workload "trace:file=$1" \
        >"$tmp/bad.out" 2>"$tmp/bad.err" </dev/null
    local r=$?
    [ "$r" -eq 2 ] || fail "bad trace $1: exit $r, want 2"
    [ ! -s "$tmp/bad.out" ] || fail "bad trace $1: it ran"
    [ "$(wc -l <"$tmp/bad.err")" -eq 2 ] || fail "bad trace $1: stderr is not two lines"
    head -n 1 "$tmp/bad.err" | grep -q -- "^heapscope: --workload: trace '$1': $2" ||
        fail "bad trace $1: '$(head -n 1 "$tmp/bad.err")' lacks '$2'"
}
size=$(stat -c %s "$tmp/py.hst")
for cut in 20 48 49 $((size / 2)) $((size - 1)); do
    head -c "$cut" "$tmp/py.hst" >"$tmp/cut.hst"
    expect_bad "$tmp/cut.hst" "truncated at byte $cut"
done
cp "$tmp/py.hst" "$tmp/corrupt.hst"
printf 'Z' | dd of="$tmp/corrupt.hst" bs=1 seek=48 conv=notrunc status=none
expect_bad "$tmp/corrupt.hst" "at byte 48: unknown block type 0x5a"
printf 'not a trace at all, but long enough to have a header of 48 bytes' >"$tmp/text.hst"
expect_bad "$tmp/text.hst" "not a heapscope trace"
: >"$tmp/empty.hst"
expect_bad "$tmp/empty.hst" "not a heapscope trace: the file is empty"
expect_bad "$tmp/missing.hst" "cannot read it"

if [ "$failures" -ne 0 ]; then
    echo "test_preload: $failures failure(s)" >&2
    exit 1
fi
echo "test_preload: all passed"
