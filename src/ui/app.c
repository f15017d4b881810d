/*
 * app.c — the visualizer's state: what is shown, and what keys do.
 *
 * Two pauses, kept apart on purpose:
 *   f      freezes the display: the source runs on and the ring keeps filling;
 *          `,` and `.` move through the ring one frame at a time, End (or f
 *          again) returns to now.  The frame on screen is held by its seq, so
 *          when the ring drops it the oldest frame kept is shown instead.
 *   space  asks the source to stop the world (hs_control.pause); the newest
 *          snapshot then shows it stopped.
 * Control keys that the source cannot honour (a replay steps no collector)
 * say so on the status line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/uistate.h"

#define DEFAULT_FPS 30
#define DEFAULT_HISTORY_S 60
#define DEFAULT_HISTORY_BYTES ((size_t)256 << 20)
#define MESSAGE_NS 3000000000LL
#define STEP_N_MIN 1
#define STEP_N_MAX 1000000

hs_ui *hs_ui_new(const hs_ui_opts *o, const hs_control *ctl)
{
    hs_ui *ui = calloc(1, sizeof(*ui));
    if (ui == NULL)
        return NULL;
    ui->o = *o;
    if (ui->o.fps <= 0)
        ui->o.fps = DEFAULT_FPS;
    if (ui->o.history_s <= 0)
        ui->o.history_s = DEFAULT_HISTORY_S;
    if (ui->o.history_bytes == 0)
        ui->o.history_bytes = DEFAULT_HISTORY_BYTES;
    if (ctl != NULL)
        ui->ctl = *ctl;
    ui->pal.colors = o->colors;
    ui->view = o->view >= 0 && o->view < HS_VIEW_COUNT ? (hs_ui_view)o->view : HS_VIEW_HEAP;
    ui->zoom = -1;
    ui->cursor = -1;
    ui->step_n = 100;
    ui->gogc_asked = -2;
    ui->series = calloc(SERIES_CAP, sizeof(*ui->series));
    ui->pauses = calloc(PAUSES_CAP, sizeof(*ui->pauses));
    size_t frames = (size_t)ui->o.fps * (size_t)ui->o.history_s;
    if (ui->series == NULL || ui->pauses == NULL ||
        !hist_init(&ui->hist, frames, ui->o.history_bytes)) {
        hs_ui_free(ui);
        return NULL;
    }
    return ui;
}

void hs_ui_free(hs_ui *ui)
{
    if (ui == NULL)
        return;
    hist_free(&ui->hist);
    free(ui->pin);
    free(ui->series);
    free(ui->pauses);
    free(ui);
}

/* ---- what is on screen ------------------------------------------------------------------ */

const frame *ui_shown_frame(const hs_ui *ui)
{
    const history *h = &ui->hist;
    if (h->n == 0)
        return NULL;
    if (!ui->frozen)
        return hist_at(h, h->n - 1);
    size_t i = hist_find(h, ui->shown_seq);
    return hist_at(h, i < h->n ? i : h->n - 1);
}

const hs_snapshot *ui_shown(const hs_ui *ui)
{
    const frame *f = ui_shown_frame(ui);
    return f ? f->s : NULL;
}

const hs_snapshot *ui_before(const hs_ui *ui, int64_t ago_ns)
{
    const hs_snapshot *s = ui_shown(ui);
    if (s == NULL)
        return NULL;
    size_t i = hist_find(&ui->hist, s->seq);
    const hs_snapshot *best = NULL;
    while (i-- > 0) {
        const hs_snapshot *b = hist_at(&ui->hist, i)->s;
        best = b;
        if (s->t_ns - b->t_ns >= ago_ns)
            break;
    }
    return best;
}

hs_ui_view hs_ui_current_view(const hs_ui *ui)
{
    return ui->view;
}

uint64_t hs_ui_shown_seq(const hs_ui *ui)
{
    const hs_snapshot *s = ui_shown(ui);
    return s ? s->seq : 0;
}

bool hs_ui_frozen(const hs_ui *ui)
{
    return ui->frozen;
}

void ui_say(hs_ui *ui, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->msg, sizeof(ui->msg), fmt, ap);
    va_end(ap);
    ui->msg_world = 0;
    ui->msg_until_ns = ui->now_ns + MESSAGE_NS;
}

void hs_ui_message(hs_ui *ui, const char *msg)
{
    ui_say(ui, "%s", msg);
}

void hs_ui_count_dropped(hs_ui *ui, uint64_t frames)
{
    ui->dropped += frames;
}

/* ---- feeding ---------------------------------------------------------------------------- */

static void add_sample(hs_ui *ui, const hs_snapshot *s)
{
    sample *p = &ui->series[(ui->series_head + ui->nseries) % SERIES_CAP];
    if (ui->nseries == SERIES_CAP)
        ui->series_head = (ui->series_head + 1) % SERIES_CAP;
    else
        ui->nseries++;
    *p = (sample){.t_ns = s->t_ns,
                  .heap_live = s->heap_live,
                  .heap_goal = s->heap_goal,
                  .total_alloc = s->TotalAlloc,
                  .gc_cpu_ns = s->gc_cpu_total_ns,
                  .nprocs = s->nprocs,
                  .phase = (uint8_t)s->phase};
}

/* Pauses from the snapshot's events, each once (events carry a gapless seq). */
static void add_pauses(hs_ui *ui, const hs_snapshot *s)
{
    const hs_snap_event *ev = hs_snap_events(s);
    for (uint32_t i = 0; i < s->nevents; i++) {
        if (ui->have_events && ev[i].seq < ui->last_event_seq)
            continue;
        ui->last_event_seq = ev[i].seq + 1;
        ui->have_events = true;
        if (ev[i].kind != HS_EV_PAUSE)
            continue;
        pause_mark *p = &ui->pauses[(ui->pauses_head + ui->npauses) % PAUSES_CAP];
        if (ui->npauses == PAUSES_CAP)
            ui->pauses_head = (ui->pauses_head + 1) % PAUSES_CAP;
        else
            ui->npauses++;
        *p = (pause_mark){ev[i].t_ns, ev[i].a};
    }
}

void hs_ui_feed(hs_ui *ui, const hs_snapshot *s, int64_t now_ns)
{
    char why[160];
    ui->now_ns = now_ns;
    if (hs_snapshot_check(s, s->size, why, sizeof(why)) != NULL) {
        ui->rejected++;
        snprintf(ui->rejected_why, sizeof(ui->rejected_why), "%s", why);
        return;
    }
    if (ui->have_latest && ui->latest_seq == s->seq)
        return; /* seen already */
    if (ui->have_latest && ui->latest_seq > s->seq) {
        if (ui->o.transport == NULL)
            return; /* a live source only moves on: a stale copy */
        /* A replay seeked back: what was kept belongs to another stretch of
         * time. */
        hist_clear(&ui->hist);
        ui->nseries = ui->npauses = 0;
        ui->have_events = ui->have_base = false;
        ui->frozen = false;
    }
    ui->latest_seq = s->seq;
    ui->latest_t_ns = s->t_ns;
    ui->have_latest = true;
    if (ui->gogc_asked != -2 &&
        (s->gogc == ui->gogc_asked || now_ns - ui->gogc_asked_ns > 1000000000LL))
        ui->gogc_asked = -2; /* the source has it (or did not take it) */
    /* Frozen, the ring stands still: the frame on screen and the ones around
     * it must not be dropped under the user's eyes.  The timeline goes on. */
    if (!ui->frozen && !hist_push(&ui->hist, s, now_ns)) {
        ui_say(ui, "out of memory: this snapshot was not kept");
        return;
    }
    ui->last_feed_ns = now_ns;
    /* A snapshot reaches us some time after it was taken: the smallest gap
     * seen is the best estimate of the source's clock on ours. */
    if (!ui->have_base || now_ns - s->t_ns < ui->clock_base)
        ui->clock_base = now_ns - s->t_ns;
    ui->have_base = true;
    add_sample(ui, s);
    add_pauses(ui, s);
}

/* ---- keys ------------------------------------------------------------------------------- */

static bool need(hs_ui *ui, const void *fn, const char *what)
{
    if (fn != NULL)
        return true;
    ui_say(ui, "%s: not possible with this source", what);
    return false;
}

static void freeze(hs_ui *ui, bool on)
{
    const hs_snapshot *s = ui_shown(ui);
    ui->frozen = on && s != NULL;
    if (ui->frozen)
        ui->shown_seq = s->seq;
}

/* Move the frozen view by d frames through the ring. */
static void move_frames(hs_ui *ui, long d)
{
    const hs_snapshot *s = ui_shown(ui);
    if (s == NULL)
        return;
    if (!ui->frozen)
        freeze(ui, true);
    long i = (long)hist_find(&ui->hist, s->seq) + d;
    long last = (long)ui->hist.n - 1;
    i = i < 0 ? 0 : i > last ? last : i;
    ui->shown_seq = hist_at(&ui->hist, (size_t)i)->s->seq;
}

static void control_key(hs_ui *ui, const hs_snapshot *s, int key)
{
    hs_control *c = &ui->ctl;
    switch (key) {
    case ' ':
        if (need(ui, (const void *)c->pause, "pause")) {
            bool paused = s != NULL && s->world_paused;
            c->pause(c->ctx, !paused);
            ui_say(ui, paused ? "resuming the world" : "stopping the world at the next safe points");
            ui->msg_world = paused ? -1 : 1;
        }
        break;
    case 'g':
        if (need(ui, (const void *)c->gc, "GC now")) {
            c->gc(c->ctx);
            ui_say(ui, "GC requested");
        }
        break;
    case 's':
    case 'n':
    case 'c':
        if (!need(ui, (const void *)c->step, "stepping"))
            break;
        if (s == NULL || !s->step_enabled) {
            c->stepping(c->ctx, true);
            c->gc(c->ctx); /* the status line's STEP banner says the rest */
        } else if (!s->step_held && s->phase == 0) {
            c->gc(c->ctx);
            ui_say(ui, "step mode: starting a cycle to step through");
        } else if (key == 's') { /* between holds, the source queues the step */
            c->step(c->ctx, HS_CTL_STEP_PHASE, 0);
        } else if (key == 'n') {
            c->step(c->ctx, HS_CTL_STEP_OBJECTS, (uint64_t)ui->step_n);
        } else {
            c->step(c->ctx, HS_CTL_STEP_CYCLE, 0);
        }
        break;
    case 'x':
        if (need(ui, (const void *)c->stepping, "stepping")) {
            c->stepping(c->ctx, false);
            ui_say(ui, "step mode off: the collector runs freely");
        }
        break;
    case '+':
    case '-':
        if (need(ui, (const void *)c->set_gogc, "GOGC") && s != NULL) {
            int from = ui->gogc_asked != -2 ? ui->gogc_asked : s->gogc;
            int g = from < 0 ? 100 : from + (key == '+' ? 10 : -10);
            g = g < 10 ? 10 : g;
            ui->gogc_asked = g;
            ui->gogc_asked_ns = ui->now_ns;
            c->set_gogc(c->ctx, g);
            ui_say(ui, "GOGC=%d", g);
        }
        break;
    default:
        break;
    }
}

/* Keys of a replay's transport; false for others. */
static bool transport_key(hs_ui *ui, int key)
{
    const hs_transport *t = ui->o.transport;
    if (t == NULL)
        return false;
    switch (key) {
    case ' ':
        t->play(t->ctx, !t->state(t->ctx).playing);
        return true;
    case ',':
        t->step(t->ctx, -1);
        return true;
    case '.':
        t->step(t->ctx, 1);
        return true;
    case '<':
    case '>':
        t->speed(t->ctx, key == '>' ? 1 : -1);
        ui_say(ui, "speed x%g", t->state(t->ctx).speed);
        return true;
    case HS_KEY_HOME:
        t->seek(t->ctx, HS_SEEK_START);
        return true;
    case HS_KEY_END:
        t->seek(t->ctx, HS_SEEK_END);
        return true;
    case '[':
    case ']':
        t->seek(t->ctx, key == '[' ? HS_SEEK_PREV_MARKER : HS_SEEK_NEXT_MARKER);
        return true;
    case 'G':
        t->seek(t->ctx, HS_SEEK_NEXT_GC);
        return true;
    default:
        return false;
    }
}

static bool view_key(hs_ui *ui, const hs_snapshot *s, int key)
{
    if (s == NULL)
        return false;
    switch (ui->view) {
    case HS_VIEW_HEAP:
        return view_heap_key(ui, s, key);
    case HS_VIEW_SPAN:
        return view_span_key(ui, s, key);
    case HS_VIEW_CENTRAL:
        return view_central_key(ui, s, key);
    case HS_VIEW_PROCS:
        return view_procs_key(ui, s, key);
    default:
        return false;
    }
}

/* m's caption, typed on the status line: Enter drops the marker, Esc cancels. */
static void prompt_key(hs_ui *ui, int key)
{
    size_t len = strlen(ui->prompt);
    if (key == HS_KEY_ENTER) {
        ui->prompting = false;
        ui->o.marker(ui->o.record_ctx, ui->prompt);
        ui_say(ui, "marker dropped%s%s", ui->prompt[0] ? ": " : "", ui->prompt);
    } else if (key == HS_KEY_ESC) {
        ui->prompting = false;
        ui_say(ui, "no marker");
    } else if (key == HS_KEY_BACKSPACE) {
        while (len > 0 && (ui->prompt[len - 1] & 0xc0) == 0x80)
            ui->prompt[--len] = '\0'; /* a whole UTF-8 character */
        if (len > 0)
            ui->prompt[len - 1] = '\0';
    } else if (key >= 0x20 && key < 0x10000 && key != 0x7f && len + 4 < sizeof(ui->prompt)) {
        ui->prompt[len] = (char)key; /* bytes, as the terminal sends them */
        ui->prompt[len + 1] = '\0';
    }
}

static void record_key(hs_ui *ui, int key)
{
    char why[200];
    if (ui->o.record == NULL) {
        ui_say(ui, "recording: not possible with this source");
        return;
    }
    bool on = ui->o.recording(ui->o.record_ctx, why, sizeof(why));
    if (key == 'R') {
        if (!ui->o.record(ui->o.record_ctx, !on, why, sizeof(why)))
            ui_say(ui, "%s", why);
        else
            ui_say(ui, "%s", why);
    } else if (!on) {
        ui_say(ui, "no recording to mark: R starts one");
    } else {
        ui->prompting = true;
        ui->prompt[0] = '\0';
    }
}

bool hs_ui_key(hs_ui *ui, int key)
{
    const hs_snapshot *s = ui_shown(ui);
    if (ui->prompting) {
        prompt_key(ui, key);
        return true;
    }
    if (key == 'R' || key == 'm') {
        record_key(ui, key);
        return true;
    }
    if (ui->help && key != 'q' && key != HS_KEY_F10) {
        ui->help = help_key(ui, key); /* scroll keys scroll it, any other closes it */
        return true;
    }
    if (transport_key(ui, key) || view_key(ui, s, key))
        return true;
    switch (key) {
    case 'q':
    case 'Q':
    case HS_KEY_F10:
        return false;
    case '?':
        ui->help = true;
        ui->help_scroll = 0;
        break;
    case HS_KEY_TAB:
        ui->view = (ui->view + 1) % HS_VIEW_COUNT;
        break;
    case HS_KEY_BTAB:
        ui->view = (ui->view + HS_VIEW_COUNT - 1) % HS_VIEW_COUNT;
        break;
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
        ui->view = (hs_ui_view)(key - '1');
        break;
    case 'f':
        freeze(ui, !ui->frozen);
        break;
    case ',':
        move_frames(ui, -1);
        break;
    case '.':
        move_frames(ui, 1);
        break;
    case HS_KEY_END:
        freeze(ui, false);
        break;
    case 'd':
        compare_pin(ui, ui->pin != NULL ? NULL : s);
        if (ui->pin != NULL)
            ui_say(ui, "pinned frame #%llu: the views show what changed since (d unpins)",
                   (unsigned long long)ui->pin->seq);
        break;
    case '[':
        ui->step_n = ui->step_n / 10 < STEP_N_MIN ? STEP_N_MIN : ui->step_n / 10;
        ui_say(ui, "n steps %d objects", ui->step_n);
        break;
    case ']':
        ui->step_n = ui->step_n * 10 > STEP_N_MAX ? STEP_N_MAX : ui->step_n * 10;
        ui_say(ui, "n steps %d objects", ui->step_n);
        break;
    default:
        control_key(ui, s, key);
        break;
    }
    return true;
}

void hs_ui_click(hs_ui *ui, int x, int y)
{
    const hs_snapshot *s = ui_shown(ui);
    if (s != NULL && ui->view == HS_VIEW_HEAP && view_heap_click(ui, s, x, y))
        ui->view = HS_VIEW_SPAN;
}

/* ---- drawing ----------------------------------------------------------------------------- */

/* What the terminal needs first, so that even a tiny one shows it; the text
 * wraps at words to the width. */
static void draw_too_small(hs_canvas *cv)
{
    char need[96];
    const char *rest = "heapscope keeps running: make the terminal bigger. q quits.";
    snprintf(need, sizeof(need), "needs %dx%d; this is %dx%d.", HS_UI_MIN_COLS, HS_UI_MIN_ROWS,
             cv->w, cv->h);
    int n1 = cv_wrap(NULL, 0, 0, cv->w, cv->h, STYLE_BOLD, need);
    int n2 = cv_wrap(NULL, 0, 0, cv->w, cv->h, STYLE_PLAIN, rest);
    int y = (cv->h - n1 - n2) / 2;
    y = y < 0 ? 0 : y;
    y += cv_wrap(cv, 0, y, cv->w, cv->h - y, STYLE_BOLD, need);
    cv_wrap(cv, 0, y, cv->w, cv->h - y, STYLE_PLAIN, rest);
}

void hs_ui_render(hs_ui *ui, hs_canvas *cv, int64_t now_ns)
{
    ui->now_ns = now_ns;
    cv_clear(cv, STYLE_PLAIN);
    if (cv->w < HS_UI_MIN_COLS || cv->h < HS_UI_MIN_ROWS) {
        draw_too_small(cv);
        return;
    }
    const hs_snapshot *s = ui_shown(ui);
    rect bar = {0, 0, cv->w, 2}, tabs = {0, 2, cv->w, 1}, body = {0, 3, cv->w, cv->h - 4},
         status = {0, cv->h - 1, cv->w, 1};
    gcbar_draw(ui, s, cv, bar);
    tabs_draw(ui, cv, tabs);
    if (ui->pin != NULL && s != NULL) {
        compare_draw_line(ui, s, cv, body);
        body.y++;
        body.h--;
    }
    if (s == NULL) {
        cv_text(cv, 2, body.y + 1, body.w - 2, STYLE_PLAIN, "waiting for the first snapshot...");
    } else {
        switch (ui->view) {
        case HS_VIEW_HEAP:
            view_heap_draw(ui, s, cv, body);
            break;
        case HS_VIEW_SPAN:
            view_span_draw(ui, s, cv, body);
            break;
        case HS_VIEW_CENTRAL:
            view_central_draw(ui, s, cv, body);
            break;
        case HS_VIEW_PROCS:
            view_procs_draw(ui, s, cv, body);
            break;
        default:
            view_timeline_draw(ui, s, cv, body);
            break;
        }
    }
    status_draw(ui, s, cv, status);
    if (ui->help)
        help_draw(ui, cv, body);
}
