/*
 * gcbar.c — the lines around every view: the GC bar on top (phase, cycle,
 * heap live against goal and trigger, mark progress, the last pauses, GOGC,
 * Ps, allocation rate), the view tabs, and the status line at the bottom,
 * which says honestly what is on screen: live or frozen and how far back,
 * the snapshot's age, whether the world was stopped when it was taken, and
 * frames dropped.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ui/uistate.h"

static uint16_t phase_color(uint32_t phase)
{
    static const uint16_t c[5] = {C_DIM, 220, 203, 171, 80};
    return phase < 5 ? c[phase] : C_DIM;
}

/* Bytes allocated per second over about the last second of the series. */
static double alloc_rate(const hs_ui *ui, const hs_snapshot *s)
{
    if (ui->nseries < 2)
        return 0;
    const sample *newest = &ui->series[(ui->series_head + ui->nseries - 1) % SERIES_CAP];
    const sample *old = newest;
    for (size_t i = ui->nseries - 1; i-- > 0;) {
        old = &ui->series[(ui->series_head + i) % SERIES_CAP];
        if (s->t_ns - old->t_ns >= 1000000000LL || old->t_ns <= s->t_ns - 1000000000LL)
            break;
    }
    /* The series may run ahead of a frozen frame: measure up to the frame shown. */
    int64_t dt = s->t_ns - old->t_ns;
    if (dt <= 0 || s->TotalAlloc < old->total_alloc)
        return 0;
    return (double)(s->TotalAlloc - old->total_alloc) * 1e9 / (double)dt;
}

/* Text at x, cut at end; returns where the next text goes, as if nothing
 * were cut, so that a caller can tell its line did not fit. */
static int put(hs_canvas *cv, int x, int y, int end, style st, const char *text)
{
    if (x < end)
        cv_text(cv, x, y, end - x, st, text);
    return x + cv_width(text);
}

static int sep(hs_ui *ui, hs_canvas *cv, int x, int y, int end)
{
    return put(cv, x, y, end, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), " │ ");
}

/* The GC bar's first line gets shorter by levels, each dropping or shortening
 * what matters least, until it fits; phase, cycle, heap and goal, mark
 * progress, GOGC, Ps and the allocation rate stay at every level. */
enum {
    BAR_NO_TRIGGER = 1, /* the trigger goes */
    BAR_NO_TITLE,       /* and "heapscope" */
    BAR_SHORT_NUMBERS,  /* 5.00M for 5.00 MiB, #3 for cycle 3, a 5-cell mark bar */
    BAR_SHORT_LABELS,   /* heap 5.00M→8.00M */
    BAR_TIGHT,          /* │ without spaces around it */
    BAR_SHORT_PHASE,    /* "mark term" */
    BAR_LEVELS,
};

/* 5.00 MiB as 5.00M, 512 B as 512B. */
static const char *fmt_bytes_short(char *buf, size_t n, uint64_t b)
{
    char full[32];
    fmt_bytes(full, sizeof(full), b);
    char *sp = strchr(full, ' ');
    if (sp != NULL) { /* the unit's first letter, where the space was */
        sp[0] = sp[1];
        sp[1] = '\0';
    }
    snprintf(buf, n, "%s", full);
    return buf;
}

static int bar_sep(hs_ui *ui, hs_canvas *cv, int x, int y, int end, int level)
{
    if (level < BAR_TIGHT)
        return sep(ui, cv, x, y, end);
    return put(cv, x, y, end, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), "│");
}

/* Draws line 1 at this level; returns where it ends, cut or not. */
static int line1(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r, int level)
{
    static const char *const short_phase[] = {"off", "sweep term", "mark", "mark term", "sweep"};
    char a[32], b[32], c[32], buf[160];
    int x = r.x, y = r.y, end = r.x + r.w;
    bool brief = level >= BAR_SHORT_NUMBERS;
    const char *(*bytes)(char *, size_t, uint64_t) = brief ? fmt_bytes_short : fmt_bytes;
    if (level < BAR_NO_TITLE || s == NULL)
        x = put(cv, x, y, end, ui_style(ui, C_TITLE, HS_COLOR_DEFAULT, HS_ATTR_BOLD), "heapscope");
    if (s == NULL)
        return x;
    if (level < BAR_NO_TITLE)
        x = bar_sep(ui, cv, x, y, end, level);
    x = put(cv, x, y, end, STYLE_PLAIN, "GC ");
    x = put(cv, x, y, end, ui_style(ui, phase_color(s->phase), HS_COLOR_DEFAULT, HS_ATTR_BOLD),
            level >= BAR_SHORT_PHASE && s->phase < 5 ? short_phase[s->phase] : phase_name(s->phase));
    snprintf(buf, sizeof(buf), brief ? " #%" PRIu32 : "  cycle %" PRIu32, s->cycle);
    x = put(cv, x, y, end, STYLE_PLAIN, buf);
    x = bar_sep(ui, cv, x, y, end, level);
    const char *arrow = brief ? "→" : " → ";
    if (s->heap_goal >= (uint64_t)1 << 60) /* GOGC off and no limit: no goal at all */
        snprintf(buf, sizeof(buf), "heap %s, no goal", bytes(a, sizeof(a), s->heap_live));
    else if (s->source == HS_SOURCE_ATTACH || level >= BAR_NO_TRIGGER) /* Go keeps no trigger */
        snprintf(buf, sizeof(buf), level >= BAR_SHORT_LABELS ? "heap %s%s%s" : "heap %s%sgoal %s", bytes(a, sizeof(a), s->heap_live), arrow,
                 bytes(b, sizeof(b), s->heap_goal));
    else
        snprintf(buf, sizeof(buf), "heap %s → goal %s (trigger %s)",
                 fmt_bytes(a, sizeof(a), s->heap_live), fmt_bytes(b, sizeof(b), s->heap_goal),
                 fmt_bytes(c, sizeof(c), s->trigger));
    x = put(cv, x, y, end, STYLE_PLAIN, buf);
    x = bar_sep(ui, cv, x, y, end, level);
    x = put(cv, x, y, end, STYLE_PLAIN, "mark ");
    bool marking = s->phase == 2 || s->phase == 3;
    double share = 0;
    if (marking && s->scan_work_expected > 0)
        share = (double)s->scan_work_done / (double)s->scan_work_expected;
    share = share > 1 || s->phase == 3 ? 1 : share; /* mark termination: all of it is done */
    int cells = brief ? 5 : 10;
    for (int i = 0; i < cells; i++, x++) {
        bool on = marking && share * cells > i;
        if (x < end)
            cv_put(cv, x, y, on ? G_FULL : G_LIGHT,
                   ui_style(ui, on ? 203 : C_DIM, HS_COLOR_DEFAULT, 0));
    }
    if (brief)
        snprintf(buf, sizeof(buf), marking ? " %.0f%%" : " -", share * 100);
    else
        snprintf(buf, sizeof(buf), marking ? " %3.0f%%" : "  -  ", share * 100);
    x = put(cv, x, y, end, STYLE_PLAIN, buf);
    x = bar_sep(ui, cv, x, y, end, level);
    if (s->gogc < 0)
        snprintf(buf, sizeof(buf), "GOGC off");
    else
        snprintf(buf, sizeof(buf), "GOGC %d", s->gogc);
    x = put(cv, x, y, end, STYLE_PLAIN, buf);
    x = bar_sep(ui, cv, x, y, end, level);
    snprintf(buf, sizeof(buf), "%u P%s", s->nprocs, s->nprocs == 1 ? "" : "s");
    x = put(cv, x, y, end, STYLE_PLAIN, buf);
    x = bar_sep(ui, cv, x, y, end, level);
    snprintf(buf, sizeof(buf), "alloc %s/s", bytes(a, sizeof(a), (uint64_t)alloc_rate(ui, s)));
    return put(cv, x, y, end, STYLE_PLAIN, buf);
}

/* Line 2 shortens by levels too; the workload's name comes last and is cut
 * as the width allows. */
enum {
    BAR2_MAX_ONLY = 1, /* the pauses' max, without p50 and p99 */
    BAR2_SHORT_MODE,   /* "classic (Go ≤ 1.25)" */
    BAR2_SHORT_BYTES,  /* 576K for 576 KiB */
    BAR2_ONE_PAUSE,    /* the newest pause alone */
    BAR2_LEVELS,
};

/* Draws line 2 at this level up to the workload; returns where it ends. */
static int line2(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r, int level)
{
    char a[32], b[32], c[32], buf[200];
    int x = r.x, y = r.y + 1, end = r.x + r.w;
    const char *(*bytes)(char *, size_t, uint64_t) =
        level >= BAR2_SHORT_BYTES ? fmt_bytes_short : fmt_bytes;
    x = put(cv, x, y, end, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), "STW ");
    uint32_t np = s->npauses_recent < HS_SNAP_RECENT_PAUSES ? s->npauses_recent : HS_SNAP_RECENT_PAUSES;
    if (np == 0)
        x = put(cv, x, y, end, STYLE_PLAIN, "none yet");
    uint32_t nshow = level >= BAR2_ONE_PAUSE ? 1 : 4;
    for (uint32_t i = 0; i < nshow && i < np; i++) { /* the newest first */
        x = put(cv, x, y, end, STYLE_PLAIN, fmt_ns(a, sizeof(a), s->pauses_recent[np - 1 - i]));
        x = put(cv, x, y, end, STYLE_PLAIN, " ");
    }
    if (np > 0) {
        if (level >= BAR2_MAX_ONLY)
            snprintf(buf, sizeof(buf), "(max %s)", fmt_ns(c, sizeof(c), s->pause_max_ns));
        else
            snprintf(buf, sizeof(buf), "(p50 %s p99 %s max %s)", fmt_ns(a, sizeof(a), s->pause_p50_ns),
                     fmt_ns(b, sizeof(b), s->pause_p99_ns), fmt_ns(c, sizeof(c), s->pause_max_ns));
        x = put(cv, x, y, end, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), buf);
    }
    x = sep(ui, cv, x, y, end);
    snprintf(buf, sizeof(buf), "in use %s  released %s", bytes(a, sizeof(a), s->HeapInuse),
             bytes(b, sizeof(b), s->HeapReleased));
    x = put(cv, x, y, end, STYLE_PLAIN, buf);
    x = sep(ui, cv, x, y, end);
    if (level >= BAR2_SHORT_MODE)
        return put(cv, x, y, end, STYLE_PLAIN,
                   s->gcmode == 1 ? "Green Tea (Go 1.26+)" : "classic (Go ≤ 1.25)");
    return put(cv, x, y, end, STYLE_PLAIN,
               s->gcmode == 1 ? "Green Tea marking (Go 1.26+)" : "classic marking (Go ≤ 1.25)");
}

void gcbar_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    for (int level = 0; level < BAR_LEVELS; level++) {
        cv_fill(cv, r.x, r.y, r.w, 1, ' ', STYLE_PLAIN);
        if (line1(ui, s, cv, r, level) <= r.x + r.w)
            break;
    }
    if (s == NULL)
        return;
    int x = 0;
    for (int level = 0; level < BAR2_LEVELS; level++) {
        cv_fill(cv, r.x, r.y + 1, r.w, 1, ' ', STYLE_PLAIN);
        if ((x = line2(ui, s, cv, r, level)) <= r.x + r.w)
            break;
    }
    if (s->workload[0] != '\0' && x + 3 + 4 <= r.x + r.w) { /* a few letters of it at least */
        x = sep(ui, cv, x, r.y + 1, r.x + r.w);
        put(cv, x, r.y + 1, r.x + r.w, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), s->workload);
    }
}

void tabs_draw(hs_ui *ui, hs_canvas *cv, rect r)
{
    static const char *const names[HS_VIEW_COUNT] = {"Heap", "Span", "Central", "Ps", "Timeline"};
    int x = r.x;
    char buf[32];
    for (int i = 0; i < HS_VIEW_COUNT; i++) {
        bool on = (int)ui->view == i;
        snprintf(buf, sizeof(buf), " %d %s ", i + 1, names[i]);
        style st = on ? ui_style(ui, 16, C_TITLE, HS_ATTR_BOLD)
                      : ui_style(ui, HS_COLOR_DEFAULT, C_BAR_BG, 0);
        if (ui->pal.colors == 0 && on)
            st.attr |= HS_ATTR_REVERSE;
        x += cv_text(cv, x, r.y, r.x + r.w - x, st, buf);
        x += cv_text(cv, x, r.y, r.x + r.w - x, STYLE_PLAIN, " ");
    }
    const hs_snapshot *s = ui_shown(ui);
    if (s != NULL && s->gcmode == 1) { /* Green Tea: this cycle's scans, as gctrace=2 counts them */
        char line[200];
        if (source_attached(s))
            snprintf(line, sizeof(line), "  span scans: %s", SOURCE_UNREADABLE);
        else
            snprintf(line, sizeof(line),
                     "  span scans %" PRIu64 " one, %" PRIu64 " sparse, %" PRIu64
                     " dense; objects %" PRIu64 " singly, %" PRIu64 " in spans",
                     s->scan_spans_one, s->scan_spans_sparse, s->scan_spans_dense,
                     s->scan_objs_single, s->scan_span_objs_sparse + s->scan_span_objs_dense);
        cv_text(cv, x, r.y, r.x + r.w - x, STYLE_PLAIN, line);
    }
}

/* The status line, like the bar, shortens by levels what matters least
 * until it fits left of the keys hint, which always shows. */
enum {
    STATUS_SHORT_DETAILS = 1, /* #84 at 2.4 s, age 10.6 ms, exact */
    STATUS_SEQ_ONLY,          /* #84, exact */
    STATUS_NO_DETAILS,        /* the snapshot's details go */
    STATUS_SHORT_STEP,        /* the banners without their keys, and the */
    STATUS_LEVELS = STATUS_SHORT_STEP + 3, /* details again, shortening as before */
};

static int status_world(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, int x, int y, int end,
                        int level)
{
    style warn = ui_style(ui, 16, C_WARN, HS_ATTR_BOLD);
    if (ui->pal.colors == 0)
        warn.attr |= HS_ATTR_REVERSE;
    char buf[120];
    if (s->step_enabled && s->step_held) {
        if (level >= STATUS_SHORT_STEP)
            snprintf(buf, sizeof(buf), " STEP: held at %s ", phase_name(s->step_phase));
        else
            snprintf(buf, sizeof(buf), " STEP: held at %s (s phase, n %d %s, c cycle, x off) ",
                     phase_name(s->step_phase), ui->step_n,
                     s->gcmode == 1 ? (ui->step_n == 1 ? "scan" : "scans")
                                    : (ui->step_n == 1 ? "object" : "objects"));
        return put(cv, x, y, end, warn, buf);
    }
    if (s->world_paused)
        return put(cv, x, y, end, warn,
                   level >= STATUS_SHORT_STEP ? " WORLD STOPPED " : " WORLD STOPPED (space resumes) ");
    if (s->step_enabled)
        return put(cv, x, y, end, warn,
                   level >= STATUS_SHORT_STEP ? " STEP: waiting for a cycle "
                                              : " STEP mode: waiting for a cycle (s starts one) ");
    return put(cv, x, y, end, ui_style(ui, C_GOOD, HS_COLOR_DEFAULT, 0), "running");
}

/* Where the shown frame is: live, frozen in the ring, a replay's, or the
 * last of a source that has ended. */
static int status_mode(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, int x, int y, int end,
                       int level, bool ended)
{
    bool brief = level >= STATUS_SHORT_STEP;
    char a[32], buf[200];
    if (ui->o.transport != NULL) {
        const hs_transport *t = ui->o.transport;
        hs_transport_state ts = t->state(t->ctx);
        /* A clock in seconds throughout, as a player shows it. */
        snprintf(buf, sizeof(buf), brief ? " REPLAY %s x%g  %zu/%zu  %.2f/%.2f s "
                                         : " REPLAY %s x%g  frame %zu of %zu  %.2f s / %.2f s ",
                 ts.playing ? "▶" : "❚❚", ts.speed, ts.frame + 1, ts.frames, (double)ts.t_ns / 1e9,
                 (double)ts.end_ns / 1e9);
        style st = ui_style(ui, 16, 183, HS_ATTR_BOLD);
        if (ui->pal.colors == 0)
            st.attr |= HS_ATTR_REVERSE;
        x = put(cv, x, y, end, st, buf);
        if (ts.marker[0] != '\0') {
            x = put(cv, x, y, end, STYLE_PLAIN, " ");
            x = put(cv, x, y, end, ui_style(ui, C_WARN, HS_COLOR_DEFAULT, HS_ATTR_BOLD), ts.marker);
        }
        return x;
    }
    if (ui->frozen) {
        size_t i = hist_find(&ui->hist, s->seq);
        snprintf(buf, sizeof(buf),
                 brief ? " FROZEN %s back, %zu/%zu "
                       : " FROZEN %s behind now, frame %zu of %zu (, . move, End: live) ",
                 fmt_ns(a, sizeof(a), ui->latest_t_ns - s->t_ns), i + 1, ui->hist.n);
        style st = ui_style(ui, 16, 117, HS_ATTR_BOLD);
        if (ui->pal.colors == 0)
            st.attr |= HS_ATTR_REVERSE;
        return put(cv, x, y, end, st, buf);
    }
    if (ended)
        return put(cv, x, y, end, ui_style(ui, C_WARN, HS_COLOR_DEFAULT, HS_ATTR_BOLD), "ENDED");
    return put(cv, x, y, end, ui_style(ui, C_GOOD, HS_COLOR_DEFAULT, HS_ATTR_BOLD), "LIVE");
}

/* The snapshot's number, time and age, at this level of detail. */
static int status_details(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, int x, int y, int end,
                          int level)
{
    char a[32], buf[200];
    if (level >= STATUS_SHORT_STEP) /* the banners are short now: details from short on */
        level = level - STATUS_SHORT_STEP + STATUS_SHORT_DETAILS;
    if (level >= STATUS_NO_DETAILS)
        return x;
    int64_t age = ui->now_ns - (ui->clock_base + s->t_ns);
    fmt_ns(a, sizeof(a), age < 0 ? 0 : age);
    const char *exact = s->world_stopped ? level >= STATUS_SHORT_DETAILS ? ", exact"
                                                                         : ", exact (world stopped)"
                                         : "";
    const char *name = level >= STATUS_SHORT_DETAILS ? "#" : "snapshot #";
    if (ui->o.transport != NULL || level >= STATUS_SEQ_ONLY) /* a recording's frames have no age */
        snprintf(buf, sizeof(buf), "  %s%" PRIu64 "%s", name, s->seq, exact);
    else
        snprintf(buf, sizeof(buf), "  %s%" PRIu64 " at %.1f s, age %s%s", name, s->seq,
                 (double)s->t_ns / 1e9, a, exact);
    return put(cv, x, y, end, STYLE_PLAIN, buf);
}

/* The whole line but the hint, at this level; returns where it ends, cut or not. */
static int status_line(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r, int end, int level)
{
    char buf[200];
    int x = r.x, y = r.y;
    char note[200] = "";
    bool ended = ui->o.note != NULL && ui->o.note(ui->o.note_ctx, note, sizeof(note));
    x = status_mode(ui, s, cv, x, y, end, level, ended);
    x = put(cv, x, y, end, STYLE_PLAIN, " ");
    if (ui->o.transport == NULL && !ended)
        x = status_world(ui, s, cv, x, y, end, level);
    /* What the user must see first: a word on what they asked, the recording,
     * the source's note; the snapshot's details after, as room allows. */
    if (ui->o.recording != NULL && ui->o.recording(ui->o.record_ctx, buf, sizeof(buf))) {
        x = put(cv, x, y, end, STYLE_PLAIN, "  ");
        x = put(cv, x, y, end, ui_style(ui, 196, HS_COLOR_DEFAULT, HS_ATTR_BOLD), "● ");
        x = put(cv, x, y, end, STYLE_PLAIN, buf);
    }
    if (note[0] != '\0') {
        x = put(cv, x, y, end, STYLE_PLAIN, "  ");
        x = put(cv, x, y, end, ui_style(ui, C_WARN, HS_COLOR_DEFAULT, HS_ATTR_BOLD), note);
    }
    if (ui->msg[0] != '\0' && ui->now_ns < ui->msg_until_ns) {
        x = put(cv, x, y, end, STYLE_PLAIN, "  ");
        x = put(cv, x, y, end, ui_style(ui, C_WARN, HS_COLOR_DEFAULT, HS_ATTR_BOLD), ui->msg);
    }
    x = status_details(ui, s, cv, x, y, end, level);
    source_status(s, buf, sizeof(buf));
    x = put(cv, x, y, end, STYLE_PLAIN, buf);
    if (ui->dropped > 0) {
        snprintf(buf, sizeof(buf), ", %" PRIu64 " frame%s dropped", ui->dropped,
                 ui->dropped == 1 ? "" : "s");
        x = put(cv, x, y, end, ui_style(ui, C_WARN, HS_COLOR_DEFAULT, 0), buf);
    }
    if (ui->rejected > 0) {
        snprintf(buf, sizeof(buf), ", %" PRIu64 " bad snapshots (%s)", ui->rejected, ui->rejected_why);
        x = put(cv, x, y, end, ui_style(ui, C_BAD, HS_COLOR_DEFAULT, 0), buf);
    }
    return x;
}

/* A message about stopping or resuming the world goes once the frame shows
 * it done. */
static void status_settle_message(hs_ui *ui, const hs_snapshot *s)
{
    if (ui->msg_world != 0 && (ui->msg_world > 0) == (bool)s->world_paused) {
        ui->msg[0] = '\0';
        ui->msg_world = 0;
    }
}

void status_draw(hs_ui *ui, const hs_snapshot *s, hs_canvas *cv, rect r)
{
    int x, y = r.y, end = r.x + r.w;
    const frame *f = ui_shown_frame(ui);
    if (s == NULL || f == NULL) {
        put(cv, r.x, y, end, STYLE_PLAIN, "no snapshot yet   ? help  q quit");
        return;
    }
    if (ui->prompting) { /* m: the caption being typed takes the line */
        cv_fill(cv, r.x, y, r.w, 1, ' ', STYLE_PLAIN);
        x = r.x + cv_text(cv, r.x, y, r.w, STYLE_BOLD, "marker caption (Enter drops it, Esc cancels): ");
        x += cv_text(cv, x, y, end - x, STYLE_PLAIN, ui->prompt);
        cv_put(cv, x, y, '_', (style){HS_COLOR_DEFAULT, HS_COLOR_DEFAULT, HS_ATTR_REVERSE});
        return;
    }
    status_settle_message(ui, s);
    const char *keys = "  ? help  q quit";
    int room = end - cv_width(keys);
    for (int level = 0; level < STATUS_LEVELS; level++) {
        cv_fill(cv, r.x, y, r.w, 1, ' ', STYLE_PLAIN);
        if (status_line(ui, s, cv, r, room, level) <= room)
            break;
    }
    put(cv, room, y, end, ui_style(ui, C_DIM, HS_COLOR_DEFAULT, 0), keys);
}
