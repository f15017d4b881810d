#!/usr/bin/env bash
# test_no_runtime.sh — the UI sees snapshots only (DESIGN.md): no symbol the
# UI library needs is one the runtime library defines, and no UI source
# includes a header other than its own, the snapshot's and the system's.
#
# Run by `make check` with top_builddir and srcdir exported.
set -u
b="${top_builddir:-.}"
s="${srcdir:-.}"
ui="$b/src/ui/libhsui.a"
rt="$b/src/runtime/libhsruntime.a"
for lib in "$ui" "$rt"; do
    [ -f "$lib" ] || { echo "test_no_runtime: $lib is not built" >&2; exit 99; }
done
failures=0
needed=$(nm -u "$ui" | awk '{print $NF}' | sort -u)
defined=$(nm --defined-only "$rt" | awk 'NF == 3 && $2 ~ /[TDBR]/ {print $3}' | sort -u)
both=$(comm -12 <(echo "$needed") <(echo "$defined"))
if [ -n "$both" ]; then
    echo "FAIL: the UI library uses runtime symbols: $both" >&2
    failures=$((failures + 1))
fi
# Sanity: the check can see a runtime symbol the runtime does define.
echo "$defined" | grep -qx 'hs_malloc' || { echo "FAIL: hs_malloc not found in $rt" >&2; exit 1; }
bad=$(grep -h '#include "' "$s"/src/ui/*.c "$s"/src/ui/*.h |
    grep -v -e '"ui/uistate.h"' -e '"heapscope/ui.h"' -e '"heapscope/snapshot.h"' || true)
if [ -n "$bad" ]; then
    echo "FAIL: UI sources include: $bad" >&2
    failures=$((failures + 1))
fi
[ "$failures" -eq 0 ] && echo "ok: the UI links and includes nothing of the runtime"
exit $((failures > 0))
