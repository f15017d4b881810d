#!/usr/bin/env bash
# test_no_runtime.sh — the UI sees snapshots only (DESIGN.md): no symbol the
# UI library needs is one the runtime library defines, and no UI source
# includes a header other than its own, the snapshot's and the system's.
#
# Run by `make check` with top_builddir and srcdir exported.
b="${top_builddir:-.}"
s="${srcdir:-.}"
exec "$s/tests/no_runtime.sh" "the UI" "$b/src/ui/libhsui.a" "$s/src/ui" "" \
    '"ui/uistate.h" "heapscope/ui.h" "heapscope/snapshot.h"' \
    "$b/src/runtime/libhsruntime.a"
