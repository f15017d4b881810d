/*
 * test_attach.c — heapscope's reader against real Go programs.
 *
 * tests/attach/test_attach.sh builds tests/attach/target.go with each Go it
 * finds (and as PIE, stripped with -ldflags='-s -w', and stripped of its
 * DWARF afterwards) and runs this suite with their paths in the
 * environment:
 *   HS_ATTACH_TARGETS    the programs that must read exactly, space-separated
 *   HS_ATTACH_SW         a -s -w build (refused)
 *   HS_ATTACH_STRIPPED   a copy stripped of DWARF, and HS_ATTACH_FULL the
 *                        build it was stripped from (read through --attach-bin)
 * Each test starts its own target and ends it.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach/attachint.h"
#include "heapscope/attach.h"
#include "testutil.h"

#define CLASS_2688_NOSCAN (40 << 1 | 1)
#define CLASS_6528_SCAN (48 << 1)
#define LARGE_NOSCAN 1

typedef struct target {
    pid_t pid;
    FILE *in, *out;
} target;

static target spawn(const char *path)
{
    int to[2], from[2];
    ck_assert_int_eq(pipe(to), 0);
    ck_assert_int_eq(pipe(from), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        execl(path, path, (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    target t = {.pid = pid, .in = fdopen(to[1], "w"), .out = fdopen(from[0], "r")};
    return t;
}

/* The target's next line, which must start with want. */
static void expect(target *t, const char *want, char *line, size_t n)
{
    ck_assert_ptr_nonnull(fgets(line, (int)n, t->out));
    ck_assert_msg(strncmp(line, want, strlen(want)) == 0, "target said '%s', want '%s'", line,
                  want);
}

static target start(const char *path)
{
    char line[128];
    target t = spawn(path);
    expect(&t, "ready", line, sizeof line);
    return t;
}

static void say(target *t, const char *line)
{
    fprintf(t->in, "%s\n", line);
    fflush(t->in);
}

static void end(target *t)
{
    kill(t->pid, SIGKILL);
    waitpid(t->pid, NULL, 0);
    fclose(t->in);
    fclose(t->out);
}

static char *targets(void)
{
    const char *env = getenv("HS_ATTACH_TARGETS");
    ck_assert_msg(env != NULL && *env, "HS_ATTACH_TARGETS is not set: run test_attach.sh");
    return strdup(env);
}

/* The first target (the newest Go's), started; churning garbage if asked. */
static target start_newest(bool churn)
{
    char *list = targets(), line[128];
    list[strcspn(list, " ")] = '\0';
    target t = start(list);
    free(list);
    if (churn) {
        say(&t, "churn");
        expect(&t, "churning", line, sizeof line);
    }
    return t;
}

static hs_attach *open_ok(int pid, const char *binary, bool freeze)
{
    hs_attach_opts o = {.pid = pid, .binary = binary, .freeze = freeze};
    hs_attach *a;
    char why[512];
    hs_attach_status st = hs_attach_open(&o, &a, why, sizeof why);
    ck_assert_msg(st == HS_ATTACH_OK, "open: %s", why);
    return a;
}

static hs_attach_status open_bad(int pid, const char *binary, char *why, size_t n)
{
    hs_attach_opts o = {.pid = pid, .binary = binary};
    hs_attach *a = NULL;
    hs_attach_status st = hs_attach_open(&o, &a, why, n);
    ck_assert_ptr_null(a);
    return st;
}

/* Objects allocated in spans of a class; for large spans only those of npages. */
static uint64_t objects_of(const hs_snapshot *s, uint8_t spanclass, uint32_t npages)
{
    const hs_snap_span *sp = hs_snap_spans(s);
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nspans; i++) {
        if (sp[i].spanclass != spanclass || (npages && sp[i].npages != npages))
            continue;
        for (uint32_t k = 0; k < sp[i].nelems; k++)
            n += hs_snap_cell(s, &sp[i], k) != HS_CELL_FREE;
    }
    return n;
}

static const hs_snapshot *frame(hs_attach *a, hs_snapshot_publisher *pub)
{
    ck_assert_int_eq(hs_attach_capture(a, pub), HS_ATTACH_OK);
    const hs_snapshot *s = hs_snapshot_acquire(pub);
    char why[256];
    ck_assert_ptr_nonnull(s);
    ck_assert_msg(hs_snapshot_check(s, s->size, why, sizeof why) == NULL, "%s", why);
    ck_assert_uint_eq(s->source, HS_SOURCE_ATTACH);
    return s;
}

static void assert_known_objects(const char *path, const char *binary, bool freeze)
{
    target t = start(path);
    hs_attach *a = open_ok(t.pid, binary, freeze);
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    const hs_snapshot *s = frame(a, pub);
    ck_assert_msg(objects_of(s, CLASS_2688_NOSCAN, 0) == 3000, "%s: %lu objects of 2688 B", path,
                  (unsigned long)objects_of(s, CLASS_2688_NOSCAN, 0));
    ck_assert_msg(objects_of(s, CLASS_6528_SCAN, 0) == 500, "%s: %lu objects of 6528 B", path,
                  (unsigned long)objects_of(s, CLASS_6528_SCAN, 0));
    ck_assert_msg(objects_of(s, LARGE_NOSCAN, 5) == 20, "%s: %lu large objects", path,
                  (unsigned long)objects_of(s, LARGE_NOSCAN, 5));
    ck_assert_uint_eq(s->world_stopped, freeze);
    ck_assert_uint_eq(s->torn_spans, 0);
    ck_assert_uint_eq(s->target_pid, (uint32_t)t.pid);
    ck_assert_uint_ge(s->HeapAlloc, 3000 * 2688 + 500 * 6528 + 20 * 40960);
    hs_snapshot_release(s);
    hs_attach_close(a);
    hs_snapshot_publisher_free(pub);
    end(&t);
}

START_TEST(test_known_objects_frozen)
{
    char *list = targets(), *save = NULL;
    for (char *p = strtok_r(list, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save))
        assert_known_objects(p, NULL, true);
    free(list);
}
END_TEST

/* Go records gray only in the inline block of a Green Tea span with
 * pointers (objects of 16-512 B), during mark: every gray cell of s is such
 * a span's, allocated (gray is never free).  Returns how many there are. */
static uint64_t gray_cells(const hs_snapshot *s)
{
    const hs_snap_span *sp = hs_snap_spans(s);
    uint64_t n = 0;
    for (uint32_t i = 0; i < s->nspans; i++) {
        uint64_t gray = 0;
        for (uint32_t k = 0; k < sp[i].nelems; k++)
            gray += hs_snap_cell(s, &sp[i], k) == HS_CELL_GRAY;
        if (gray == 0)
            continue;
        ck_assert_msg(sp[i].flags & HS_SPAN_INLINE_MARKS, "gray in a span without inline marks");
        ck_assert_msg(!(sp[i].spanclass & 1), "gray in a pointer-free span");
        ck_assert(sp[i].elemsize >= 16 && sp[i].elemsize <= 512 && sp[i].npages == 1);
        ck_assert_uint_eq(s->gcmode, 1);
        n += gray;
    }
    ck_assert(n == 0 || s->phase == PHASE_MARK || s->phase == PHASE_MARK_TERMINATION);
    return n;
}

/* Spans of s waiting in a Green Tea span queue (their owned byte set):
 * only inline spans with pointers, only in mark. */
static uint32_t queued_spans(const hs_snapshot *s)
{
    const hs_snap_span *sp = hs_snap_spans(s);
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->nspans; i++) {
        if (!(sp[i].flags & HS_SPAN_QUEUED))
            continue;
        ck_assert_msg(sp[i].flags & HS_SPAN_INLINE_MARKS, "a queued span without inline marks");
        ck_assert_msg(!(sp[i].spanclass & 1), "a pointer-free span queued");
        n++;
    }
    ck_assert(n == 0 || s->phase == PHASE_MARK || s->phase == PHASE_MARK_TERMINATION);
    return n;
}

/* The newest Go's target churning, read without freezing: a valid picture,
 * gray only where Go records it. */
START_TEST(test_gray_only_in_inline_spans)
{
    target t = start_newest(true);
    hs_attach *a = open_ok(t.pid, NULL, false);
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    for (int f = 0; f < 20; f++) {
        const hs_snapshot *s = frame(a, pub);
        gray_cells(s);
        hs_snapshot_release(s);
    }
    hs_attach_close(a);
    hs_snapshot_publisher_free(pub);
    end(&t);
}
END_TEST

/* The minor version of the Go that built the program a reads: 26 for go1.26.1. */
static int go_minor(hs_attach *a)
{
    hs_attach_info in = hs_attach_get_info(a);
    int major = 0, minor = 0;
    ck_assert_int_eq(sscanf(in.go_version, "go%d.%d", &major, &minor), 2);
    return minor;
}

#define GRAY_TRIES 2000

/* Each target marking a tree of a million 24 B objects in a loop, frozen
 * frame after frame: Go 1.26+ (Green Tea by default) shows gray objects in
 * some frame in mark, each where Go records gray; Go <= 1.24 never does.
 * The frames sample the cycle wherever it is; marking takes most of the
 * target's time, so a frame lands in mark and sees gray within a few
 * frames.  GRAY_TRIES frames without gray fail, saying so. */
START_TEST(test_gray_while_marking)
{
    char *list = targets(), *save = NULL, line[128];
    for (char *p = strtok_r(list, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
        target t = start(p);
        say(&t, "mark");
        expect(&t, "marking", line, sizeof line);
        hs_attach *a = open_ok(t.pid, NULL, true);
        hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
        int minor = go_minor(a), tries = 0, in_mark = 0, progress = 0;
        bool want = minor >= 26;
        uint64_t gray = 0, queued = 0;
        for (; tries < (want ? GRAY_TRIES : 40) && (gray == 0 || progress == 0 || (want && queued == 0));
             tries++) {
            const hs_snapshot *s = frame(a, pub);
            gray += gray_cells(s);
            queued += queued_spans(s);
            in_mark += s->phase == PHASE_MARK;
            /* The mark's progress, as Go's pacer reckons it: work done
             * against what the last cycle scanned (the tree: megabytes). */
            if (s->phase == PHASE_MARK) {
                ck_assert_uint_gt(s->scan_work_expected, 1u << 20);
                progress += s->scan_work_done > 0;
            }
            if (minor <= 24)
                ck_assert_uint_eq(s->gcmode, 0);
            hs_snapshot_release(s);
            usleep(1000); /* let the target run between frames */
        }
        ck_assert_msg(progress > 0, "%s: no mark progress in %d frozen frames in mark", p, in_mark);
        if (want) {
            ck_assert_msg(gray > 0, "%s: no gray in %d frozen frames (%d in mark)", p, tries,
                          in_mark);
            ck_assert_msg(queued > 0, "%s: no span queued in %d frozen frames (%d in mark)", p,
                          tries, in_mark);
        } else if (minor <= 24) {
            ck_assert_msg(gray == 0, "%s: gray from Go 1.%d", p, minor);
            ck_assert_msg(queued == 0, "%s: a queued span from Go 1.%d", p, minor);
        }
        hs_attach_close(a);
        hs_snapshot_publisher_free(pub);
        end(&t);
    }
    free(list);
}
END_TEST

/* The cells of n objects from span_cells, as hs_cell values. */
static void decide(const rspan *r, const uint8_t *bits, hs_cell *out)
{
    uint8_t cells[64] = {0};
    span_cells(r, bits, cells);
    for (uint32_t i = 0; i < r->nelems; i++)
        out[i] = (hs_cell)(cells[i / 4] >> (2 * (i % 4)) & 3);
}

/* The cell decision on hand-made bits: 20 objects, slots 0-17 allocated
 * (16 and 17 below freeindex 18, their allocBits clear). */
START_TEST(test_cell_decision)
{
    enum { F = HS_CELL_FREE, W = HS_CELL_WHITE, G = HS_CELL_GRAY, B = HS_CELL_BLACK };
    const uint8_t bits[4][3] = {
        {0xff, 0xff, 0x00}, /* allocBits: 0-15 */
        {0x00, 0x80, 0x00}, /* gcmarkBits: 15 (set by a sweep before, not by this mark) */
        {0x0f, 0x03, 0x0a}, /* inline marks: 0-3, 8, 9, 17 and 19 (free: a zombie) */
        {0x23, 0x02, 0x00}, /* inline scans: 0, 1, 5 (no mark: never in Go), 9 */
    };
    rspan r = {.nelems = 20, .freeindex = 18, .spanclass = 3 << 1, .inline_marks = true};
    hs_cell got[20];
    /* A scan span whose scans were read: seen and not scanned is gray. */
    const int scan[20] = {B, B, G, G, W, W, W, W, G, B, W, W, W, W, W, B, W, G, F, F};
    r.scans_read = true;
    decide(&r, &bits[0][0], got);
    for (int i = 0; i < 20; i++)
        ck_assert_msg((int)got[i] == scan[i], "scan span, object %d: %d, want %d", i, got[i],
                      scan[i]);
    /* The same bits without scans read (out of mark), or in a pointer-free
     * span (seen is black there): marked is black. */
    const int marked[20] = {B, B, B, B, W, W, W, W, B, B, W, W, W, W, W, B, W, B, F, F};
    for (int k = 0; k < 2; k++) {
        r.scans_read = k == 0;
        r.spanclass = (uint8_t)(3 << 1 | (k == 0));
        decide(&r, &bits[0][0], got);
        for (int i = 0; i < 20; i++)
            ck_assert_msg((int)got[i] == marked[i], "case %d, object %d: %d, want %d", k, i, got[i],
                          marked[i]);
    }
    /* A span of 8 objects all allocated by freeindex, every one seen, none
     * scanned: all gray; no byte beyond its 2 cell bytes is written. */
    const uint8_t full[4] = {0x00, 0x00, 0xff, 0x00};
    rspan e = {.nelems = 8, .freeindex = 8, .spanclass = 2 << 1, .scans_read = true};
    uint8_t cells[3] = {0, 0, 0x5a};
    span_cells(&e, full, cells);
    ck_assert_uint_eq(cells[0], 0xaa);
    ck_assert_uint_eq(cells[1], 0xaa);
    ck_assert_uint_eq(cells[2], 0x5a);
}
END_TEST

START_TEST(test_gc_raises_cycle)
{
    char *list = targets(), *save = NULL;
    for (char *p = strtok_r(list, " ", &save); p != NULL; p = strtok_r(NULL, " ", &save)) {
        target t = start(p);
        hs_attach *a = open_ok(t.pid, NULL, false);
        hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
        const hs_snapshot *s = frame(a, pub);
        uint32_t cycle = s->cycle;
        uint64_t numgc = s->NumGC;
        hs_snapshot_release(s);
        char line[128];
        say(&t, "gc");
        expect(&t, "done", line, sizeof line);
        say(&t, "gc");
        expect(&t, "done", line, sizeof line);
        unsigned long reported = strtoul(line + 5, NULL, 10);
        s = frame(a, pub);
        ck_assert_uint_ge(s->cycle, cycle + 2);
        ck_assert_uint_ge(s->NumGC, numgc + 2);
        ck_assert_uint_ge(s->NumGC, reported);
        hs_snapshot_release(s);
        hs_attach_close(a);
        hs_snapshot_publisher_free(pub);
        end(&t);
    }
    free(list);
}
END_TEST

START_TEST(test_freeze_leaves_target_running)
{
    target t = start_newest(true);
    char line[128];
    hs_attach *a = open_ok(t.pid, NULL, true);
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    for (int f = 0; f < 10; f++) {
        const hs_snapshot *s = frame(a, pub);
        ck_assert_uint_eq(s->torn_spans, 0);
        ck_assert_int_gt(s->freeze_pause_ns, 0);
        hs_snapshot_release(s);
    }
    hs_attach_info in = hs_attach_get_info(a);
    ck_assert_uint_eq(in.frames, 10);
    ck_assert_int_gt(in.max_pause_ns, 0);
    hs_attach_close(a);
    say(&t, "gc"); /* it still runs, untraced */
    expect(&t, "done", line, sizeof line);
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)t.pid);
    FILE *f = fopen(path, "r");
    int tracer = -1;
    while (f != NULL && fgets(buf, sizeof buf, f) != NULL)
        sscanf(buf, "TracerPid: %d", &tracer);
    if (f != NULL)
        fclose(f);
    ck_assert_int_eq(tracer, 0);
    hs_snapshot_publisher_free(pub);
    end(&t);
}
END_TEST

START_TEST(test_exit_mid_session)
{
    target t = start_newest(false);
    hs_attach_opts o = {.pid = t.pid, .fps = 50};
    hs_attach *a;
    char why[256];
    ck_assert_int_eq(hs_attach_open(&o, &a, why, sizeof why), HS_ATTACH_OK);
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    ck_assert(hs_attach_start(a, pub));
    while (hs_attach_get_info(a).frames < 3)
        usleep(10000);
    say(&t, "exit");
    waitpid(t.pid, NULL, 0); /* gone, and reaped */
    while (!hs_attach_get_info(a).exited)
        usleep(10000);
    hs_attach_stop(a);
    ck_assert_int_eq(hs_attach_capture(a, pub), HS_ATTACH_EXITED);
    const hs_snapshot *s = hs_snapshot_acquire(pub); /* the last frame stays */
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(objects_of(s, CLASS_2688_NOSCAN, 0), 3000);
    hs_snapshot_release(s);
    hs_attach_close(a);
    hs_snapshot_publisher_free(pub);
    fclose(t.in);
    fclose(t.out);
}
END_TEST

START_TEST(test_stripped_refused_and_attach_bin)
{
    const char *sw = getenv("HS_ATTACH_SW"), *stripped = getenv("HS_ATTACH_STRIPPED"),
               *full = getenv("HS_ATTACH_FULL");
    ck_assert_ptr_nonnull(sw);
    target t = start(sw);
    char why[512];
    ck_assert_int_eq(open_bad(t.pid, NULL, why, sizeof why), HS_ATTACH_BAD);
    /* Its build settings say -s -w: no unstripped twin to point to. */
    ck_assert_msg(strstr(why, "linked with -ldflags -s or -w") && strstr(why, "build it without them"),
                  "%s", why);
    end(&t);
    if (stripped == NULL || full == NULL)
        return; /* no strip(1) to make one */
    t = start(stripped);
    ck_assert_int_eq(open_bad(t.pid, NULL, why, sizeof why), HS_ATTACH_BAD);
    ck_assert_msg(strstr(why, "--attach-bin") != NULL, "%s", why);
    ck_assert_int_eq(open_bad(t.pid, sw, why, sizeof why), HS_ATTACH_BAD); /* another build */
    ck_assert_msg(strstr(why, "is not the build") != NULL, "%s", why);
    end(&t);
    assert_known_objects(stripped, full, true);
}
END_TEST

/* A program a debugger traces can be read, but not frozen. */
START_TEST(test_traced_refuses_freeze)
{
    target t = start_newest(false);
    int ready[2];
    ck_assert_int_eq(pipe(ready), 0);
    pid_t debugger = fork();
    if (debugger == 0) {
        char ok = ptrace(PTRACE_SEIZE, t.pid, 0, 0) == 0 ? 'y' : 'n';
        if (write(ready[1], &ok, 1) != 1)
            _exit(1);
        pause();
        _exit(0);
    }
    char ok = 0;
    ck_assert_int_eq(read(ready[0], &ok, 1), 1);
    ck_assert_int_eq(ok, 'y');
    char why[512];
    hs_attach_opts o = {.pid = t.pid, .freeze = true};
    hs_attach *a = NULL;
    ck_assert_int_eq(hs_attach_open(&o, &a, why, sizeof why), HS_ATTACH_BAD);
    ck_assert_msg(strstr(why, "is traced by process") != NULL, "%s", why);
    hs_attach_close(open_ok(t.pid, NULL, false));
    kill(debugger, SIGKILL);
    waitpid(debugger, NULL, 0);
    close(ready[0]);
    close(ready[1]);
    end(&t);
}
END_TEST

START_TEST(test_bad_pids)
{
    char why[512];
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    ck_assert_int_eq(open_bad(dead, NULL, why, sizeof why), HS_ATTACH_BAD);
    ck_assert_msg(strstr(why, "no process with pid") != NULL, "%s", why);
    ck_assert_int_eq(open_bad(-5, NULL, why, sizeof why), HS_ATTACH_BAD);
    /* Not Go: this very test program. */
    ck_assert_int_eq(open_bad(getpid(), NULL, why, sizeof why), HS_ATTACH_BAD);
    ck_assert_msg(strstr(why, "is not a Go program") != NULL, "%s", why);
}
END_TEST

/* As root, a process that drops to nobody may not read a root-owned target. */
START_TEST(test_permission_refused)
{
    if (getuid() != 0) {
        fputs("test_permission_refused: not root; a target of our own is always ours to read, "
              "so this case is checked only as root\n",
              stderr);
        return;
    }
    target t = start_newest(false);
    pid_t child = fork();
    if (child == 0) {
        char why[512];
        if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
            _exit(3);
        hs_attach_opts o = {.pid = t.pid};
        hs_attach *a = NULL;
        hs_attach_status st = hs_attach_open(&o, &a, why, sizeof why);
        bool ok =
            st == HS_ATTACH_BAD && strstr(why, "ptrace_scope") && strstr(why, "CAP_SYS_PTRACE");
        if (!ok)
            fprintf(stderr, "status %d: %s\n", st, why);
        _exit(ok ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    end(&t);
}
END_TEST

/* The refusal's advice fits who is asking: root with CAP_SYS_PTRACE is not
 * told to run as root. */
START_TEST(test_permission_sentence)
{
    char why[512];
    attach_permission_sentence(why, sizeof why, 1, 1, true, true);
    ck_assert_msg(strstr(why, "run as root") == NULL && strstr(why, "namespace") != NULL &&
                      strstr(why, "process 1 ") != NULL,
                  "%s", why);
    attach_permission_sentence(why, sizeof why, 1, -1, true, false);
    ck_assert_msg(strstr(why, "run as root") == NULL && strstr(why, "without CAP_SYS_PTRACE"),
                  "%s", why);
    attach_permission_sentence(why, sizeof why, 1, 3, true, true);
    ck_assert_msg(strstr(why, "ptrace_scope is 3") != NULL, "%s", why);
    attach_permission_sentence(why, sizeof why, 7, 1, false, false);
    ck_assert_msg(strstr(why, "ptrace_scope at 0 (it is 1)") && strstr(why, "CAP_SYS_PTRACE"),
                  "%s", why);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("attach");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_known_objects_frozen);
    tcase_add_test(tc, test_gray_only_in_inline_spans);
    tcase_add_test(tc, test_gray_while_marking);
    tcase_add_test(tc, test_cell_decision);
    tcase_add_test(tc, test_gc_raises_cycle);
    tcase_add_test(tc, test_freeze_leaves_target_running);
    tcase_add_test(tc, test_exit_mid_session);
    tcase_add_test(tc, test_stripped_refused_and_attach_bin);
    tcase_add_test(tc, test_traced_refuses_freeze);
    tcase_add_test(tc, test_bad_pids);
    tcase_add_test(tc, test_permission_refused);
    tcase_add_test(tc, test_permission_sentence);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
