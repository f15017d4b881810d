#!/usr/bin/env bash
# test_no_runtime.sh — the recorder sees snapshots only (DESIGN.md): of all
# the symbols the other parts' libraries define, libhsrecord.a needs only
# the snapshot checker; and its sources include nothing of another part but
# heapscope/snapshot.h.
#
# Run by `make check` with top_builddir and srcdir exported.
b="${top_builddir:-.}"
s="${srcdir:-.}"
exec "$s/tests/no_runtime.sh" "the recorder" "$b/src/record/libhsrecord.a" "$s/src/record" \
    hs_snapshot_check '"record/[a-z_]*\.h" "heapscope/record.h" "heapscope/snapshot.h"' \
    "$b/src/runtime/libhsruntime.a" "$b/src/snapshot/libhssnapshot.a" \
    "$b/src/workload/libhsworkload.a" "$b/src/ui/libhsui.a" "$b/src/cli/libhscli.a"
