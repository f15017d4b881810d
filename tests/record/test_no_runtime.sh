#!/usr/bin/env bash
# test_no_runtime.sh — the recorder sees snapshots only (DESIGN.md): of all
# the symbols the other parts' libraries define, libhsrecord.a needs only
# the snapshot checker; and its sources include nothing of another part but
# heapscope/snapshot.h.
#
# Run by `make check` with top_builddir and srcdir exported.
set -u
b="${top_builddir:-.}"
src="${srcdir:-.}/src/record"
lib="$b/src/record/libhsrecord.a"
others=("$b/src/runtime/libhsruntime.a" "$b/src/snapshot/libhssnapshot.a"
    "$b/src/workload/libhsworkload.a" "$b/src/ui/libhsui.a" "$b/src/cli/libhscli.a")
for l in "$lib" "${others[@]}"; do
    [ -f "$l" ] || { echo "test_no_runtime: $l is not built" >&2; exit 99; }
done
failures=0
needed=$(nm -u "$lib" | awk 'NF == 2 {print $2}' | sort -u)
defined=$(nm --defined-only "${others[@]}" | awk 'NF == 3 && $2 ~ /[TDBR]/ {print $3}' | sort -u)
both=$(comm -12 <(echo "$needed") <(echo "$defined"))
if [ "$both" != "hs_snapshot_check" ]; then
    echo "FAIL: the recorder uses these symbols of other parts: $both" >&2
    failures=$((failures + 1))
fi
bad=$(grep -h '#include "' "$src"/*.c "$src"/*.h |
    grep -v -e '"record/[a-z_]*\.h"' -e '"heapscope/record.h"' -e '"heapscope/snapshot.h"' || true)
if [ -n "$bad" ]; then
    echo "FAIL: recorder sources include: $bad" >&2
    failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] && echo "ok: of the other parts, the recorder uses the snapshot checker only"
exit $((failures > 0))
