#!/usr/bin/env bash
# soak.sh — `make soak`: heapscope run long, under its own verifier, watched
# from outside.  SOAK_MINUTES (default 10) is shared out:
#   1. 30%: the randomized-graph safety test (tests/gc/test_safety) on 1, 2
#      and 4 Ps, classic and Green Tea, the checkmark verifier after every
#      mark: mutations and verified cycles are reported; no failure allowed;
#   2. 30%: every scenario headless on all Ps with --verify, each its share
#      of the time (trace replays a recording of python3 made here by the
#      tracer): each must end with exit 0 and its checks passed;
#   3. 40%: web on all Ps with --verify and --record, watched every half
#      second from /proc: its RSS against the heap goal (gctrace), how fast
#      RSS comes down when the load falls (web's load is a 20 s cosine), its
#      threads and file descriptors (no growth allowed); then the recording
#      is exported frame by frame, to its last frame.
# Every figure is printed; the exit status is 0 only when nothing failed.
#
# Usage: tests/soak/soak.sh   (from the top of a built tree; make soak)
#        SOAK_PARTS="safety scenarios web" chooses the parts (all by default).
set -u
bin="${top_builddir:-.}/heapscope"
safety="${top_builddir:-.}/tests/gc/test_safety"
minutes=${SOAK_MINUTES:-10}
procs=$(nproc)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hs-soak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}
total=$((minutes * 60))
parts=" ${SOAK_PARTS:-safety scenarios web} "
part() { case $parts in *" $1 "*) return 0 ;; *) return 1 ;; esac; }
echo "soak: ${minutes} minutes on $procs Ps ($(uname -m), load $(cut -d' ' -f1-3 /proc/loadavg))"

# ---- 1. the safety test, timed -----------------------------------------------------------------
if part safety; then
per=$((total * 30 / 100 / 6))
[ "$per" -ge 2 ] || per=2
echo "== safety: 6 runs of ${per} s (1, 2, 4 Ps; classic, Green Tea)"
if HS_SAFETY_SECONDS=$per CK_TIMEOUT_MULTIPLIER=100 "$safety" >"$tmp/safety" 2>&1; then
    grep '^safety:' "$tmp/safety"
else
    cat "$tmp/safety" >&2
    fail "the safety test failed"
fi
fi

# ---- 2. every scenario, verified -----------------------------------------------------------------
if part scenarios; then
if [ -f "${top_builddir:-.}/src/tracer/.libs/libheapscope-trace.so" ]; then
    HEAPSCOPE_TRACE="$tmp/py.hst" LD_PRELOAD="$(cd "${top_builddir:-.}" && pwd)/src/tracer/.libs/libheapscope-trace.so" \
        /usr/bin/python3 -c 'import json; [json.loads(json.dumps(list(range(i % 500)))) for i in range(20000)]'
fi
scenarios=(web binary-trees:depth=16 churn fragment large tiny "leak:rate=4MiB" pool prealloc)
[ -s "$tmp/py.hst" ] && scenarios+=("trace:file=$tmp/py.hst,speed=0")
share=$((total * 30 / 100 / ${#scenarios[@]}))
[ "$share" -ge 2 ] || share=2
echo "== scenarios: ${#scenarios[@]}, ${share} s each, --verify, $procs Ps"
for w in "${scenarios[@]}"; do
    "$bin" --headless --workload "$w" --procs "$procs" --verify --duration "${share}s" \
        --stats-json "$tmp/s.json" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    cycles=$(sed -n 's/.*"\/gc\/cycles\/total:gc-cycles": *\([0-9]*\).*/\1/p' "$tmp/s.json" | head -n 1)
    checks=$(sed -n 's/^checks *//p' "$tmp/out")
    printf '  %-40s exit %d, %s cycles, checks %s\n' "$w" "$rc" "${cycles:-?}" "${checks:-?}"
    [ "$rc" = 0 ] || fail "$w: exit $rc: $(tail -n 3 "$tmp/err")"
done
fi

# ---- 3. web, watched -----------------------------------------------------------------------------
if part web; then
long=$((total * 40 / 100))
[ "$long" -ge 30 ] || long=30
echo "== web for ${long} s on $procs Ps, --verify, --record, watched from /proc"
"$bin" --headless --procs "$procs" --verify --duration "${long}s" --gctrace --record "$tmp/web.hsr" \
    >"$tmp/web.out" 2>"$tmp/web.err" &
pid=$!
sleep 5
threads0=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
fds0=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
: >"$tmp/rss"
while kill -0 "$pid" 2>/dev/null; do
    t=$(date +%s.%N)
    rss=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
    [ -n "$rss" ] && echo "$t $rss" >>"$tmp/rss"
    threads1=$(ls "/proc/$pid/task" 2>/dev/null | wc -l)
    fds1=$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)
    [ "$threads1" -gt 0 ] && { last_threads=$threads1; last_fds=$fds1; }
    sleep 0.5
done
wait "$pid"
rc=$?
[ "$rc" = 0 ] || fail "web: exit $rc: $(tail -n 3 "$tmp/web.err")"
grep -q 'checkmark verifier found' "$tmp/web.err" && fail "web: the verifier failed"
echo "  threads $threads0 -> ${last_threads:-?}, file descriptors $fds0 -> ${last_fds:-?}"
[ "${last_threads:-0}" -le "$threads0" ] || fail "threads grew: $threads0 -> $last_threads"
[ "${last_fds:-0}" -le "$fds0" ] || fail "file descriptors grew: $fds0 -> $last_fds"
# The goal from the gctrace lines ("..., N MB goal"), the RSS from /proc.
goal=$(sed -n 's/.* \([0-9]*\) MB goal.*/\1/p' "$tmp/web.err" | sort -n | tail -n 1)
awk -v goal="${goal:-0}" '
    { rss[NR] = $2 / 1024; t[NR] = $1 }
    END {
        n = NR; max = 0; skip = int(n / 6); # after the first ramp
        for (i = skip + 1; i <= n; i++) if (rss[i] > max) { max = rss[i]; at = i }
        min = max; for (i = at; i <= n; i++) if (rss[i] < min) { min = rss[i]; mt = i }
        # how long from the peak until RSS was within 10% of that minimum
        for (i = at; i <= n; i++) if (rss[i] <= min * 1.1) { dt = t[i] - t[at]; break }
        printf "  RSS steady-state max %.0f MiB against a largest heap goal of %d MB (%.2fx + overhead)\n", max, goal, (goal > 0 ? max / (goal / 1.048576) : 0)
        printf "  after the peak RSS fell to %.0f MiB (%.0f%% of it), within 10%% of that %.1f s after the peak\n", min, 100 * min / max, dt
        if (goal > 0 && max > goal / 1.048576 * 1.25 + 64) { print "RSS over the documented bound: goal x 1.25 + 64 MiB"; exit 1 }
        if (min > max * 0.8) { print "RSS did not come down with the load"; exit 1 }
    }' "$tmp/rss" || fail "RSS: see above"
frames=$(sed -n 's/^heapscope: recorded \([0-9]*\) frames.*/\1/p' "$tmp/web.err")
if "$bin" --replay "$tmp/web.hsr" --export-cast "$tmp/web.cast" --size 120x40 2>"$tmp/replay.err"; then
    events=$(grep -c '"o"' "$tmp/web.cast")
    echo "  the recording: ${frames:-?} frames, $(($(stat -c %s "$tmp/web.hsr") / 1024)) KiB, exported to its end ($events output events)"
else
    fail "the soak's recording did not replay: $(cat "$tmp/replay.err")"
fi
fi

[ "$failures" -eq 0 ] && echo "soak: passed" || echo "soak: $failures failure(s)"
exit $((failures > 0))
