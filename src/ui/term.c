/*
 * term.c — the visualizer on a real terminal, through ncursesw.
 *
 * The frame loop: take the newest snapshot (lock-free; a snapshot already
 * seen is not fed twice), render the current view into a canvas the size of
 * the terminal, copy the canvas to the screen (ncurses sends only what
 * changed), then wait for a key, a signal or the next frame's time.  A frame
 * that could not start on time counts as dropped.  A frame is drawn only
 * when there is something new to show: a snapshot, a key, a new size, or,
 * at least every quarter second, the clock (ages, messages that expire) —
 * the CPU the view does not spend is the program's.
 *
 * Terminal hygiene: the terminal is restored on q, on SIGINT, SIGTERM and
 * SIGHUP (read through a signalfd, so no handler runs inside ncurses), and on
 * a crash (SIGSEGV, SIGBUS, SIGFPE, SIGABRT: the handler puts back the saved
 * terminal modes with async-signal-safe calls, then lets the signal take its
 * course).  SIGTSTP and SIGCONT are ncurses' own: it leaves and restores the
 * screen around a suspend.  Resizes arrive as KEY_RESIZE and are drawn at once.
 *
 * The crash handler's saved terminal modes are the one piece of state here
 * that is not in an object: a signal handler can reach nothing else, and a
 * process has one terminal.
 */
#include <config.h>

#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define NCURSES_WIDECHAR 1
#include <ncurses.h>

#include "ui/uistate.h"

#define SUSPENDED_NS 1000000000LL /* a frame this late: the process was stopped */

static struct termios crash_termios; /* see above */
static volatile sig_atomic_t crash_termios_saved;

static void crash_restore(int sig)
{
    static const char reset[] = "\033[0m\033[?1000l\033[?1049l\033[?25h\r\n";
    if (crash_termios_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &crash_termios);
    ssize_t r = write(STDOUT_FILENO, reset, sizeof(reset) - 1);
    (void)r;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_crash_handlers(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
    if (tcgetattr(STDIN_FILENO, &crash_termios) == 0)
        crash_termios_saved = 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = crash_restore;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
}

static void remove_crash_handlers(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], SIG_DFL);
    crash_termios_saved = 0;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the screen ------------------------------------------------------------------------ */

typedef struct term {
    SCREEN *scr;
    int colors;
    hs_canvas *cv;
    term_blitter blit;
    int sigfd;
    sigset_t oldmask;
} term;

static attr_t attrs_of(uint8_t a)
{
    attr_t r = A_NORMAL;
    if (a & HS_ATTR_BOLD)
        r |= A_BOLD;
    if (a & HS_ATTR_REVERSE)
        r |= A_REVERSE;
    if (a & HS_ATTR_UNDERLINE)
        r |= A_UNDERLINE;
    if (a & HS_ATTR_DIM)
        r |= A_DIM;
    return r;
}

/* The pair of (fg, bg): made once and remembered, as long as there are
 * pairs left (after that, ncurses' own allocator, which may recycle). */
static int pair_of(term_blitter *b, const hs_tcell *c)
{
    int fg = c->fg == HS_COLOR_DEFAULT ? -1 : c->fg, bg = c->bg == HS_COLOR_DEFAULT ? -1 : c->bg;
    if (b == NULL || b->no_table || fg > 255 || bg > 255)
        return alloc_pair(fg, bg);
    if (b->pairs == NULL && (b->pairs = calloc(257 * 257, sizeof(int16_t))) == NULL) {
        b->no_table = true; /* ncurses' allocator from now on, never both */
        return alloc_pair(fg, bg);
    }
    int16_t *slot = &b->pairs[(fg + 1) * 257 + bg + 1];
    if (*slot == 0) {
        int limit = COLOR_PAIRS - 1 < 32767 ? COLOR_PAIRS - 1 : 32767;
        if (b->npairs >= limit || init_pair((short)(b->npairs + 1), (short)fg, (short)bg) != OK)
            return alloc_pair(fg, bg);
        *slot = (int16_t)++b->npairs;
    }
    return *slot;
}

static bool same_cell(const hs_tcell *a, const hs_tcell *b)
{
    return a->ch == b->ch && a->fg == b->fg && a->bg == b->bg && a->attr == b->attr;
}

void term_blit(term_blitter *b, const hs_canvas *cv, int colors)
{
    const hs_canvas *shown = b != NULL && b->shown != NULL && b->shown->w == cv->w &&
                                     b->shown->h == cv->h
                                 ? b->shown
                                 : NULL;
    for (int y = 0; y < cv->h; y++) {
        for (int x = 0; x < cv->w; x++) {
            const hs_tcell *c = hs_canvas_at(cv, x, y);
            if (shown != NULL && same_cell(c, hs_canvas_at(shown, x, y)))
                continue;
            wchar_t wc[2] = {(wchar_t)(c->ch ? c->ch : ' '), 0};
            int pair = 0;
            if (colors > 0 && (c->fg != HS_COLOR_DEFAULT || c->bg != HS_COLOR_DEFAULT)) {
                pair = pair_of(b, c);
                if (pair < 0)
                    pair = 0;
            }
            cchar_t cc;
            setcchar(&cc, wc, attrs_of(c->attr), (short)(pair < 32767 ? pair : 0), &pair);
            /* The bottom-right cell: writing it may scroll on some terminals. */
            if (x == cv->w - 1 && y == cv->h - 1)
                mvins_wch(y, x, &cc);
            else
                mvadd_wch(y, x, &cc);
        }
    }
    wnoutrefresh(stdscr);
    doupdate();
    if (b == NULL)
        return;
    if (b->shown == NULL || b->shown->w != cv->w || b->shown->h != cv->h) {
        hs_canvas_free(b->shown);
        b->shown = hs_canvas_new(cv->w, cv->h); /* NULL: copy everything next time */
    }
    if (b->shown != NULL)
        memcpy(b->shown->cells, cv->cells, (size_t)cv->w * (size_t)cv->h * sizeof(hs_tcell));
}

void term_blitter_forget(term_blitter *b)
{
    hs_canvas_free(b->shown);
    b->shown = NULL;
}

void term_blitter_free(term_blitter *b)
{
    term_blitter_forget(b);
    free(b->pairs);
    b->pairs = NULL;
    b->npairs = 0;
    b->no_table = false;
}

static int translate(int ch)
{
    switch (ch) {
    case KEY_UP:
        return HS_KEY_UP;
    case KEY_DOWN:
        return HS_KEY_DOWN;
    case KEY_LEFT:
        return HS_KEY_LEFT;
    case KEY_RIGHT:
        return HS_KEY_RIGHT;
    case KEY_PPAGE:
        return HS_KEY_PGUP;
    case KEY_NPAGE:
        return HS_KEY_PGDN;
    case KEY_HOME:
        return HS_KEY_HOME;
    case KEY_END:
        return HS_KEY_END;
    case KEY_ENTER:
    case '\n':
    case '\r':
        return HS_KEY_ENTER;
    case 27:
        return HS_KEY_ESC;
    case '\t':
        return HS_KEY_TAB;
    case KEY_BTAB:
        return HS_KEY_BTAB;
    case KEY_BACKSPACE:
    case 127:
    case 8:
        return HS_KEY_BACKSPACE;
    default:
        return ch == KEY_F(10) ? HS_KEY_F10 : ch;
    }
}

static bool open_term(term *t, const hs_ui_opts *o, char *why, size_t n)
{
    if (!isatty(STDOUT_FILENO) || !isatty(STDIN_FILENO)) {
        snprintf(why, n, "the live view needs a terminal, and standard %s is not one",
                 isatty(STDIN_FILENO) ? "output" : "input");
        return false;
    }
    setlocale(LC_ALL, "");
    t->scr = newterm(NULL, stdout, stdin);
    if (t->scr == NULL) {
        const char *tn = getenv("TERM");
        snprintf(why, n, "the terminal type '%s' is unknown to this system's terminfo",
                 tn ? tn : "");
        return false;
    }
    set_term(t->scr);
    if (tigetstr("cup") == NULL || tigetstr("cup") == (char *)-1) {
        endwin();
        delscreen(t->scr);
        t->scr = NULL;
        const char *tn = getenv("TERM");
        snprintf(why, n, "the terminal type '%s' cannot move the cursor, which the live view needs",
                 tn ? tn : "");
        return false;
    }
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(150); /* a key's escape sequence may arrive in pieces on a busy machine */
    /* Home and End as the common terminals send them, whatever TERM says
     * (a terminal multiplexer sends its own). */
    static const struct {
        const char *seq;
        int key;
    } alt[] = {{"\033[1~", KEY_HOME}, {"\033[H", KEY_HOME}, {"\033OH", KEY_HOME},
               {"\033[4~", KEY_END},  {"\033[F", KEY_END},  {"\033OF", KEY_END}};
    for (size_t i = 0; i < sizeof(alt) / sizeof(alt[0]); i++)
        define_key(alt[i].seq, alt[i].key);
    curs_set(0);
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    t->colors = 0;
    const char *nc = getenv("NO_COLOR");
    if (o->colors != 0 && has_colors() && (nc == NULL || nc[0] == '\0')) {
        start_color();
        use_default_colors();
        t->colors = COLORS >= 256 ? 256 : COLORS >= 8 ? 8 : 0;
        if (o->colors > 0 && o->colors < t->colors)
            t->colors = o->colors;
    }
    return true;
}

static bool open_signals(term *t, char *why, size_t n)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, &t->oldmask);
    t->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (t->sigfd < 0) {
        snprintf(why, n, "cannot watch for signals: %s", strerror(errno));
        pthread_sigmask(SIG_SETMASK, &t->oldmask, NULL);
        return false;
    }
    return true;
}

static void close_term(term *t)
{
    if (t->scr != NULL) {
        /* Leave nothing of the view behind: a terminal with no alternate
         * screen (vt100) would keep the last frame under the shell's next
         * lines, and one resized while in it may restore a main screen of
         * the old size with the view's rows below it (tmux does). */
        erase();
        move(0, 0);
        refresh();
        endwin();
        delscreen(t->scr);
        t->scr = NULL;
    }
    remove_crash_handlers();
    if (t->sigfd >= 0) {
        close(t->sigfd);
        t->sigfd = -1;
        pthread_sigmask(SIG_SETMASK, &t->oldmask, NULL);
    }
    hs_canvas_free(t->cv);
    t->cv = NULL;
    term_blitter_free(&t->blit);
}

/* Feed the keys waiting; false on quit.  *any: whether one came.  A resize
 * or Ctrl-L makes the next frame copy every cell: after a resize ncurses
 * may have lost what was outside a smaller size in between (two resizes
 * that end at the old size), and Ctrl-L repairs a screen the terminal
 * cleared behind our back. */
static bool read_keys(hs_ui *ui, term *t, bool *any)
{
    int ch;
    while ((ch = getch()) != ERR) {
        *any = true;
        if (ch == KEY_RESIZE || ch == 12 /* Ctrl-L */) {
            term_blitter_forget(&t->blit);
            if (ch == 12)
                clearok(curscr, TRUE);
            continue; /* the next render takes the new size */
        }
        if (ch == KEY_MOUSE) {
            MEVENT ev;
            if (getmouse(&ev) != OK)
                continue;
            if (ev.bstate & BUTTON4_PRESSED)
                hs_ui_key(ui, HS_KEY_WHEEL_UP);
            else if (ev.bstate & BUTTON5_PRESSED)
                hs_ui_key(ui, HS_KEY_WHEEL_DOWN);
            else if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED))
                hs_ui_click(ui, ev.x, ev.y);
            continue;
        }
        if (!hs_ui_key(ui, translate(ch)))
            return false;
    }
    return true;
}

/* The quitting signal that came, or 0. */
static int signalled(term *t)
{
    struct signalfd_siginfo si;
    return read(t->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

int hs_ui_run(hs_snapshot_publisher *pub, const hs_control *ctl, const hs_ui_opts *o, char *why,
              size_t n)
{
    term t = {.sigfd = -1};
    if (!open_signals(&t, why, n))
        return 1;
    if (!open_term(&t, o, why, n)) {
        close_term(&t);
        return 1;
    }
    install_crash_handlers();
    hs_ui_opts uo = *o;
    uo.colors = t.colors;
    hs_ui *ui = hs_ui_new(&uo, ctl);
    t.cv = hs_canvas_new(COLS, LINES);
    if (ui == NULL || t.cv == NULL) {
        close_term(&t);
        hs_ui_free(ui);
        snprintf(why, n, "out of memory");
        return 1;
    }
    int fps = uo.fps > 0 ? uo.fps : 30;
    int64_t period = 1000000000LL / fps, start = mono_ns(), next = start;
    int64_t drawn = 0; /* when the last frame was drawn */
    uint64_t seen = 0; /* the last snapshot fed */
    int sig = 0; /* the signal that ended the loop */
    bool running = true, asked = true;
    while (running) {
        int64_t now = mono_ns();
        if (uo.duration_ns > 0 && now - start >= uo.duration_ns)
            break;
        if (now >= next) {
            int64_t late = (now - next) / period;
            /* Late by more than a second: the process was stopped (Ctrl-Z,
             * SIGSTOP, a debugger), not slow; frames it was not there to
             * draw are not drops. */
            if (late > 0 && now - next <= SUSPENDED_NS)
                hs_ui_count_dropped(ui, (uint64_t)late);
            next += (late + 1) * period;
            const hs_snapshot *s = hs_snapshot_acquire(pub);
            bool fresh = s != NULL && s->seq != seen;
            if (fresh) {
                seen = s->seq;
                hs_ui_feed(ui, s, now);
            }
            if (s != NULL)
                hs_snapshot_release(s);
            bool resized = COLS != t.cv->w || LINES != t.cv->h;
            if (resized && !hs_canvas_resize(t.cv, COLS, LINES))
                break;
            if (fresh || asked || resized || now - drawn >= 250000000) {
                hs_ui_render(ui, t.cv, now);
                if (resized)
                    term_blitter_forget(&t.blit); /* ncurses cleared the screen */
                term_blit(&t.blit, t.cv, t.colors);
                drawn = now;
                asked = false;
            }
        }
        struct pollfd pf[2] = {{.fd = STDIN_FILENO, .events = POLLIN}, {.fd = t.sigfd, .events = POLLIN}};
        int64_t wait = (next - mono_ns()) / 1000000;
        poll(pf, 2, wait < 0 ? 0 : wait > 1000 ? 1000 : (int)wait + 1);
        if ((sig = signalled(&t)) != 0)
            break;
        if (!read_keys(ui, &t, &asked))
            running = false;
        if (pf[0].revents & (POLLHUP | POLLERR))
            break; /* the terminal went away */
        if (pf[0].revents & POLLIN)
            next = mono_ns(); /* answer a key at once */
    }
    hs_ui_free(ui);
    close_term(&t);
    return sig != 0 ? 128 + sig : 0;
}
