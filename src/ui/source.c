/*
 * source.c — what the UI says depends on where the snapshot came from.
 *
 * heapscope's own runtime knows gray from black.  A running Go program read
 * by src/attach/ mostly does not (Go keeps mark bits, not the mark queue),
 * so its cells are free, allocated and unmarked, or marked.  The exception
 * is Green Tea (Go 1.26+, the frame's gcmode 1): a span of 16-512 B objects
 * with pointers keeps "seen" and "scanned" bits in its inline block, so its
 * cells are gray or black as in heapscope's own runtime, and its owned
 * byte says whether it waits in a span queue (the scan under way is not
 * recorded: Go releases the span as its scan starts).  The legends name
 * what the frame (or the span shown) can hold and leave the rest out; the
 * status line says which program is shown, what a --freeze frame cost it
 * and how many spans were read torn.  Every such wording is here, so views
 * only ask.
 */
#include <inttypes.h>
#include <stdio.h>

#include "ui/uistate.h"

static bool attached(const hs_snapshot *s)
{
    return s != NULL && s->source == HS_SOURCE_ATTACH;
}

bool source_attached(const hs_snapshot *s)
{
    return attached(s);
}

/* Green Tea's inline blocks: the spans of s that have them can show gray. */
static bool inline_gray(const hs_snapshot *s)
{
    return s->gcmode == 1;
}

const char *source_state_name(const hs_ui *ui, map_state st)
{
    const frame *f = ui_shown_frame(ui);
    if (f == NULL || !attached(f->s))
        return pal_map_name(st);
    switch (st) {
    case MAP_WHITE:
        return "allocated, unmarked";
    case MAP_GRAY: /* Go keeps gray only in the inline blocks */
        return inline_gray(f->s) ? "gray: seen, not scanned (16–512 B)" : NULL;
    case MAP_QUEUED: /* an inline block's owned byte: acquired, queued */
        return inline_gray(f->s) ? pal_map_name(st) : NULL;
    case MAP_SCANNING:
        return NULL; /* Go releases a span as its scan starts: no record of it */
    case MAP_BLACK:
        return inline_gray(f->s) ? "marked (16–512 B: and scanned)" : "marked";
    default:
        return pal_map_name(st);
    }
}

const char *source_cell_name(const hs_snapshot *s, const hs_snap_span *sp, hs_cell c)
{
    static const char *const own[4] = {"free", "white: allocated, unmarked",
                                       "gray: marked, not scanned", "black: marked and scanned"};
    static const char *const go[4] = {"free", "allocated, unmarked",
                                      "(no gray: Go does not record it)", "marked"};
    static const char *const go_inline[4] = {"free", "white: allocated, unmarked",
                                             "gray: seen, not scanned", "black: seen and scanned"};
    static const char *const go_noscan[4] = {"free", "allocated, unmarked",
                                             "(no gray: no pointers to scan)", "marked"};
    if (!attached(s))
        return own[c & 3];
    if (sp == NULL || !(sp->flags & HS_SPAN_INLINE_MARKS))
        return go[c & 3];
    return (sp->spanclass & 1 ? go_noscan : go_inline)[c & 3];
}

void source_status(const hs_snapshot *s, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!attached(s))
        return;
    int len = snprintf(buf, n, "  pid %" PRIu32, s->target_pid);
    if (s->world_stopped && len >= 0 && (size_t)len < n)
        len += snprintf(buf + len, n - (size_t)len, ", frozen %.2f ms a frame",
                        (double)s->freeze_pause_ns / 1e6);
    if (s->torn_spans > 0 && len >= 0 && (size_t)len < n)
        snprintf(buf + len, n - (size_t)len, ", %" PRIu32 " torn span%s", s->torn_spans,
                 s->torn_spans == 1 ? "" : "s");
}
