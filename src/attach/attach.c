/*
 * attach.c — a running Go program as a source of snapshots.
 *
 * hs_attach_open, step by step (each refusal is one sentence, HS_ATTACH_BAD):
 *   1. the process exists, and its binary (/proc/PID/exe) may be opened;
 *   2. that binary is Go (.go.buildinfo) of a supported version, 1.19 to
 *      1.26; with --attach-bin, the file given is the same build (its
 *      version and build id match);
 *   3. the symbol binary has DWARF; the load bias of a PIE build is the
 *      process's AT_ENTRY minus the ELF entry point;
 *   4. the table resolves (godwarf.c), and the heap has Go's usual shape
 *      on 64-bit Linux: 8 KiB pages, 64 MiB arenas;
 *   5. the process's memory may be read (ptrace access: same user and yama's
 *      ptrace_scope, or CAP_SYS_PTRACE) and, with freeze, nobody else traces
 *      it;
 *   6. one frame is read, so what was opened is known to work.
 *
 * A frame (frame()): stop every thread (freeze), read (heapread.c), let the
 * threads go, note what changed (phase, cycle, pauses) as events, and fill a
 * snapshot (fill.c) against the one published before, whose spans stand in
 * for the torn ones.  Frames come from the caller (hs_attach_capture) or
 * from the frame thread at fps, never both at once: the publisher has one
 * writer.  When the program is gone the thread stops, the last frame stays
 * published and info.exited says so.
 *
 * Locks: infomu guards info and the pause record, and is held only to copy
 * them; mu and cond guard stop, for the thread's sleeps.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "attach/attachint.h"

#define CAP_SYS_PTRACE_BIT 19 /* linux/capability.h's CAP_SYS_PTRACE */

#define MIN_MINOR 19
#define MAX_MINOR 26
#define EVENTS_CAP 1024
#define EVENT_WINDOW_NS 1000000000LL
#define MAX_PAUSES (1u << 16) /* 1.8 hours at 10 fps */

struct hs_attach {
    hs_attach_opts o;
    pid_t pid;
    char exe[PATH_MAX]; /* what /proc/PID/exe points at, for messages */
    go_binary bin;
    go_layout layout;
    heapreader rd;
    rframe frame;
    freezer fz;
    char label[96];
    int64_t t0;
    uint64_t seq;
    /* events: a window of the last second */
    hs_snap_event events[EVENTS_CAP];
    size_t nevents;
    uint64_t event_seq, events_lost;
    uint32_t last_phase, last_cycle, last_numgc, last_forced;
    bool seen;
    /* the thread */
    hs_snapshot_publisher *pub;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool stop;
    /* what others may read */
    pthread_mutex_t infomu;
    hs_attach_info info;
    int64_t *pauses;
    size_t npauses;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The process is gone, or a zombie whose memory is gone. */
static bool gone(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return true;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    return p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X';
}

static int tracer_of(pid_t pid)
{
    char path[64], line[256];
    int tracer = 0;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "TracerPid: %d", &tracer) == 1)
            break;
    fclose(f);
    return tracer;
}

static int ptrace_scope(void)
{
    FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");
    int v = -1;
    if (f != NULL) {
        if (fscanf(f, "%d", &v) != 1)
            v = -1;
        fclose(f);
    }
    return v;
}

/* Does heapscope hold CAP_SYS_PTRACE in its effective set?  (Bit 19 of
 * CapEff in /proc/self/status.) */
static bool has_cap_sys_ptrace(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long eff = 0;
    bool found = false;
    if (f == NULL)
        return false;
    while (!found && fgets(line, sizeof line, f) != NULL)
        found = sscanf(line, "CapEff: %llx", &eff) == 1;
    fclose(f);
    return found && (eff >> CAP_SYS_PTRACE_BIT & 1) != 0;
}

void attach_permission_sentence(char *why, size_t n, int pid, int scope, bool root,
                                bool cap_ptrace)
{
    if (scope == 3) {
        snprintf(why, n,
                 "heapscope may not read process %d: /proc/sys/kernel/yama/ptrace_scope is 3, "
                 "which lets no process read another, root included, until a reboot",
                 pid);
    } else if (cap_ptrace) {
        snprintf(why, n,
                 "heapscope may not read process %d although it holds CAP_SYS_PTRACE: the "
                 "process may be in another user or PID namespace than heapscope (a "
                 "container's), hold capabilities heapscope lacks, or be protected by a "
                 "security module (AppArmor, SELinux) or a sandbox; run heapscope inside the "
                 "process's container",
                 pid);
    } else if (root) {
        snprintf(why, n,
                 "heapscope may not read process %d: it runs as root but without "
                 "CAP_SYS_PTRACE, which reading another program needs (a container drops it "
                 "unless started with --cap-add SYS_PTRACE); or run heapscope as the "
                 "process's user",
                 pid);
    } else {
        char s[48] = "";
        if (scope >= 0)
            snprintf(s, sizeof s, " (it is %d)", scope);
        snprintf(why, n,
                 "heapscope may not read process %d: reading another program needs the same "
                 "user and /proc/sys/kernel/yama/ptrace_scope at 0%s or 1 for a child, or "
                 "CAP_SYS_PTRACE (run as root)",
                 pid, s);
    }
}

static hs_attach_status refuse_permission(const hs_attach *a, char *why, size_t n)
{
    attach_permission_sentence(why, n, (int)a->pid, ptrace_scope(), geteuid() == 0,
                               has_cap_sys_ptrace());
    return HS_ATTACH_BAD;
}

/* ---- open: steps 1-3 --------------------------------------------------------------- */

static hs_attach_status check_process(hs_attach *a, char *why, size_t n)
{
    char path[64];
    if (a->pid <= 0 || (kill(a->pid, 0) != 0 && errno == ESRCH) || gone(a->pid)) {
        snprintf(why, n, "there is no process with pid %d", (int)a->pid);
        return HS_ATTACH_BAD;
    }
    snprintf(path, sizeof path, "/proc/%d/exe", (int)a->pid);
    ssize_t len = readlink(path, a->exe, sizeof a->exe - 1);
    if (len < 0) {
        if (errno == EACCES || errno == EPERM)
            return refuse_permission(a, why, n);
        snprintf(why, n, "cannot find the program of process %d: %s", (int)a->pid, strerror(errno));
        return HS_ATTACH_BAD;
    }
    a->exe[len] = '\0';
    const char *base = strrchr(a->exe, '/');
    snprintf(a->info.program, sizeof a->info.program, "%.63s", base ? base + 1 : a->exe);
    return HS_ATTACH_OK;
}

static hs_attach_status check_binary(hs_attach *a, char *why, size_t n)
{
    char path[64], shown[PATH_MAX + 64];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)a->pid);
    snprintf(shown, sizeof shown, "process %d (%s)", (int)a->pid, a->exe);
    int rc = go_binary_read(path, shown, &a->bin, why, n);
    if (rc == -EPERM)
        return refuse_permission(a, why, n);
    if (rc != 0)
        return HS_ATTACH_BAD;
    if (a->bin.major != 1 || a->bin.minor < MIN_MINOR || a->bin.minor > MAX_MINOR) {
        snprintf(why, n, "%s was built by %s; heapscope reads programs of Go 1.%d to 1.%d", shown,
                 a->bin.version, MIN_MINOR, MAX_MINOR);
        return HS_ATTACH_BAD;
    }
    snprintf(a->info.go_version, sizeof a->info.go_version, "%s", a->bin.version);
    if (a->o.binary == NULL) {
        if (a->bin.has_dwarf)
            return HS_ATTACH_OK;
        if (a->bin.link_stripped) {
            snprintf(why, n,
                     "%s was linked with -ldflags -s or -w, which leave out the DWARF "
                     "heapscope reads, and a build without them is laid out differently; "
                     "build it without them (strip(1) a copy for a smaller file, and give "
                     "heapscope the unstripped one with --attach-bin PATH)",
                     shown);
            return HS_ATTACH_BAD;
        }
        snprintf(why, n,
                 "%s has no DWARF debugging information (built with -ldflags='-s -w', or "
                 "stripped); give heapscope the unstripped build of the same program with "
                 "--attach-bin PATH",
                 shown);
        return HS_ATTACH_BAD;
    }
    go_binary sym;
    if (go_binary_read(a->o.binary, a->o.binary, &sym, why, n) != 0)
        return HS_ATTACH_BAD;
    if (strcmp(sym.version, a->bin.version) != 0 ||
        (sym.build_id[0] && a->bin.build_id[0] && strcmp(sym.build_id, a->bin.build_id) != 0)) {
        if (strcmp(sym.version, a->bin.version) != 0)
            snprintf(why, n,
                     "--attach-bin %s is not the build that runs as process %d (it was built "
                     "by %s, the process by %s)",
                     a->o.binary, (int)a->pid, sym.version, a->bin.version);
        else
            snprintf(why, n,
                     "--attach-bin %s is not the build that runs as process %d (both %s, but "
                     "their build ids differ)",
                     a->o.binary, (int)a->pid, sym.version);
        return HS_ATTACH_BAD;
    }
    if (!sym.has_dwarf) {
        snprintf(why, n, "--attach-bin %s has no DWARF debugging information either", a->o.binary);
        return HS_ATTACH_BAD;
    }
    return HS_ATTACH_OK;
}

/* ---- open: steps 4-6 --------------------------------------------------------------- */

static hs_attach_status resolve(hs_attach *a, char *why, size_t n)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)a->pid);
    const char *sym = a->o.binary ? a->o.binary : path;
    uint64_t bias = 0;
    if (a->bin.pie) {
        uint64_t entry = go_auxv_entry(a->pid);
        if (entry == 0)
            return refuse_permission(a, why, n);
        bias = entry - a->bin.entry;
    }
    char what[200];
    if (go_layout_resolve(sym, bias, &a->layout, what, sizeof what) != 0) {
        snprintf(why, n, "cannot read the heap of process %d (%s, %s): %s", (int)a->pid,
                 a->info.program, a->bin.version, what);
        return HS_ATTACH_BAD;
    }
    const go_layout *l = &a->layout;
    if (l->page_size != HS_SNAP_PAGE_SIZE ||
        l->arena_bytes != (uint64_t)HS_SNAP_PAGE_SIZE * HS_SNAP_PAGES_PER_ARENA) {
        snprintf(why, n,
                 "process %d's Go heap has %llu-byte pages and %llu-byte arenas; heapscope "
                 "shows 8 KiB pages in 64 MiB arenas (64-bit Linux)",
                 (int)a->pid, (unsigned long long)l->page_size, (unsigned long long)l->arena_bytes);
        return HS_ATTACH_BAD;
    }
    return HS_ATTACH_OK;
}

static hs_attach_status check_access(hs_attach *a, char *why, size_t n)
{
    pm_batch b = {0};
    uint64_t v = 0;
    pm_batch_add(&b, a->layout.mheap.addr, &v, sizeof v);
    int rc = pm_batch_run(&b, a->pid);
    size_t failed = b.failed;
    pm_batch_free(&b);
    if (rc == -EPERM)
        return refuse_permission(a, why, n);
    if (rc == -ESRCH) {
        snprintf(why, n, "process %d exited while heapscope opened it", (int)a->pid);
        return HS_ATTACH_BAD;
    }
    if (rc != 0 || failed != 0) {
        snprintf(why, n,
                 "cannot read runtime.mheap_ in process %d: is --attach-bin the build that "
                 "runs?",
                 (int)a->pid);
        return HS_ATTACH_BAD;
    }
    int tracer = a->o.freeze ? tracer_of(a->pid) : 0;
    if (tracer != 0) {
        snprintf(why, n,
                 "process %d is traced by process %d (a debugger?); --freeze must trace it "
                 "itself: detach the debugger, or leave --freeze out",
                 (int)a->pid, tracer);
        return HS_ATTACH_BAD;
    }
    return HS_ATTACH_OK;
}

/* ---- frames -------------------------------------------------------------------------- */

static void push_event(hs_attach *a, int64_t t, uint32_t kind, int64_t x, int64_t y)
{
    size_t keep = 0;
    for (size_t i = 0; i < a->nevents; i++) /* drop what left the window */
        if (a->events[i].t_ns >= t - EVENT_WINDOW_NS)
            a->events[keep++] = a->events[i];
    if (keep == EVENTS_CAP) {
        memmove(a->events, a->events + 1, (EVENTS_CAP - 1) * sizeof a->events[0]);
        keep--;
        a->events_lost++;
    }
    a->nevents = keep;
    a->events[a->nevents++] =
        (hs_snap_event){.t_ns = t, .kind = kind, .a = x, .b = y, .seq = a->event_seq++};
}

/* What changed since the last frame, as the runtime's own events would say. */
static void note_changes(hs_attach *a, const rframe *f, uint32_t phase, int64_t t)
{
    if (a->seen && f->cycles != a->last_cycle) /* reason 1: runtime.GC() */
        push_event(a, t, HS_EV_GC_START, f->numforcedgc != a->last_forced, f->cycles);
    if (a->seen && phase != a->last_phase)
        push_event(a, t, HS_EV_PHASE, phase, f->cycles);
    if (a->seen)
        for (uint32_t g = a->last_numgc; g != f->numgc && f->numgc - g <= 256; g++)
            push_event(a, t, HS_EV_PAUSE, (int64_t)f->pause_ns[g % 256], 0);
    else
        push_event(a, t, HS_EV_PHASE, phase, f->cycles);
    a->last_cycle = f->cycles;
    a->last_phase = phase;
    a->last_numgc = f->numgc;
    a->last_forced = f->numforcedgc;
    a->seen = true;
}

static void note_pause(hs_attach *a, int64_t pause, int64_t took, uint32_t torn)
{
    pthread_mutex_lock(&a->infomu);
    hs_attach_info *in = &a->info;
    in->frames++;
    in->torn_spans += torn;
    in->last_frame_ns = took;
    in->max_frame_ns = took > in->max_frame_ns ? took : in->max_frame_ns;
    in->forced_gcs = a->frame.numforcedgc; /* the frame just published */
    in->tiny_allocs = a->frame.tiny_allocs;
    if (a->o.freeze) {
        in->last_pause_ns = pause;
        in->max_pause_ns = pause > in->max_pause_ns ? pause : in->max_pause_ns;
        if (a->npauses < MAX_PAUSES)
            a->pauses[a->npauses++] = pause;
    }
    pthread_mutex_unlock(&a->infomu);
}

/* Read, with the threads stopped if asked; the pause it cost. */
static int read_frame(hs_attach *a, int64_t *pause)
{
    *pause = 0;
    if (!a->o.freeze)
        return heap_read(&a->rd, &a->frame);
    int64_t t0 = mono_ns();
    int rc = freeze_stop(&a->fz);
    if (rc == 0) {
        rc = heap_read(&a->rd, &a->frame);
        freeze_release(&a->fz);
    }
    *pause = mono_ns() - t0;
    return rc;
}

static hs_attach_status frame(hs_attach *a, hs_snapshot_publisher *pub)
{
    int64_t t0 = mono_ns(), pause;
    int rc = read_frame(a, &pause);
    if (rc != 0 && gone(a->pid)) {
        pthread_mutex_lock(&a->infomu);
        a->info.exited = true;
        pthread_mutex_unlock(&a->infomu);
        return HS_ATTACH_EXITED;
    }
    if (rc == -ETIMEDOUT || rc == -EPERM)
        return HS_ATTACH_OK; /* no frame this time: a thread would not stop */
    if (rc != 0)
        return HS_ATTACH_FAILED;
    const hs_snapshot *prev = hs_snapshot_acquire(pub);
    fill_ctx c = {.label = a->label,
                  .seq = ++a->seq,
                  .t_ns = t0 - a->t0,
                  .frozen = a->o.freeze,
                  .pause_ns = pause,
                  .prev = prev};
    note_changes(a, &a->frame, frame_phase(&a->frame), c.t_ns);
    c.events = a->events;
    c.nevents = a->nevents;
    c.events_lost = a->events_lost;
    c.frame_ns = mono_ns() - t0;
    c.target_pid = (uint32_t)a->pid;
    long torn = fill_publish(&a->frame, &c, pub);
    if (prev != NULL)
        hs_snapshot_release(prev);
    if (torn < 0)
        return HS_ATTACH_FAILED;
    note_pause(a, pause, mono_ns() - t0, (uint32_t)torn);
    return HS_ATTACH_OK;
}

/* ---- the public face -------------------------------------------------------------- */

static hs_attach_status open_steps(hs_attach *a, char *why, size_t n)
{
    hs_attach_status st;
    if ((st = check_process(a, why, n)) || (st = check_binary(a, why, n)) ||
        (st = resolve(a, why, n)) || (st = check_access(a, why, n)))
        return st;
    snprintf(a->label, sizeof a->label, "%.48s pid %d (%.24s)", a->info.program, (int)a->pid,
             a->bin.version);
    a->rd = (heapreader){
        .pid = a->pid, .l = &a->layout, .pages = pm_pages_new(), .frozen = a->o.freeze};
    a->fz.pid = a->pid;
    a->pauses = malloc(MAX_PAUSES * sizeof *a->pauses);
    if (a->rd.pages == NULL || a->pauses == NULL) {
        snprintf(why, n, "out of memory");
        return HS_ATTACH_FAILED;
    }
    return HS_ATTACH_OK;
}

hs_attach_status hs_attach_open(const hs_attach_opts *o, hs_attach **out, char *why, size_t n)
{
    *out = NULL;
    hs_attach *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(why, n, "out of memory");
        return HS_ATTACH_FAILED;
    }
    a->o = *o;
    a->pid = (pid_t)o->pid;
    a->t0 = mono_ns();
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->infomu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&a->cond, &ca);
    pthread_condattr_destroy(&ca);
    hs_attach_status st = open_steps(a, why, n);
    if (st == HS_ATTACH_OK) {
        /* One frame into a scratch publisher: what was opened works. */
        hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
        st = pub != NULL ? frame(a, pub) : HS_ATTACH_FAILED;
        hs_snapshot_publisher_free(pub);
        if (st == HS_ATTACH_EXITED)
            snprintf(why, n, "process %d exited while heapscope opened it", (int)a->pid);
        else if (st != HS_ATTACH_OK)
            snprintf(why, n, "cannot read the heap of process %d", (int)a->pid);
        st = st == HS_ATTACH_EXITED ? HS_ATTACH_BAD : st;
        a->seq = 0;
        a->info.frames = 0;
        a->npauses = 0;
    }
    if (st != HS_ATTACH_OK) {
        hs_attach_close(a);
        return st;
    }
    *out = a;
    return HS_ATTACH_OK;
}

hs_attach_status hs_attach_capture(hs_attach *a, hs_snapshot_publisher *pub)
{
    if (hs_attach_get_info(a).exited)
        return HS_ATTACH_EXITED;
    return frame(a, pub);
}

static void *frame_thread(void *arg)
{
    hs_attach *a = arg;
    int64_t period = 1000000000LL / (a->o.fps > 0 ? a->o.fps : 10), next = mono_ns();
    pthread_mutex_lock(&a->mu);
    while (!a->stop) {
        pthread_mutex_unlock(&a->mu);
        hs_attach_status st = frame(a, a->pub);
        pthread_mutex_lock(&a->mu);
        if (st == HS_ATTACH_EXITED || st == HS_ATTACH_FAILED)
            break;
        int64_t now = mono_ns();
        next += period;
        if (next < now)
            next = now; /* behind: skip, do not queue */
        struct timespec ts = {.tv_sec = next / 1000000000LL, .tv_nsec = next % 1000000000LL};
        while (!a->stop && pthread_cond_timedwait(&a->cond, &a->mu, &ts) == 0)
            ;
    }
    pthread_mutex_unlock(&a->mu);
    return NULL;
}

bool hs_attach_start(hs_attach *a, hs_snapshot_publisher *pub)
{
    a->pub = pub;
    a->stop = false;
    a->started = pthread_create(&a->thread, NULL, frame_thread, a) == 0;
    return a->started;
}

void hs_attach_stop(hs_attach *a)
{
    if (!a->started)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    a->started = false;
}

hs_attach_info hs_attach_get_info(hs_attach *a)
{
    pthread_mutex_lock(&a->infomu);
    hs_attach_info in = a->info;
    pthread_mutex_unlock(&a->infomu);
    return in;
}

size_t hs_attach_pauses(hs_attach *a, int64_t *out, size_t n)
{
    pthread_mutex_lock(&a->infomu);
    size_t k = a->npauses < n ? a->npauses : n;
    memcpy(out, a->pauses + (a->npauses - k), k * sizeof *out);
    pthread_mutex_unlock(&a->infomu);
    return k;
}

void hs_attach_close(hs_attach *a)
{
    if (a == NULL)
        return;
    hs_attach_stop(a);
    freeze_free(&a->fz);
    rframe_free(&a->frame);
    pm_batch_free(&a->rd.batch);
    pm_pages_free(a->rd.pages);
    free(a->rd.tmp);
    free(a->pauses);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->infomu);
    pthread_cond_destroy(&a->cond);
    free(a);
}
