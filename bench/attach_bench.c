/*
 * attach_bench.c — what reading a running Go program costs: `make bench`
 * runs it through bench/attach.sh with bench/go/heap.go built by the
 * newest Go here.
 *
 *   1. one frame (read and snapshot) of a 100 MiB and an 800 MiB live heap,
 *      the program idle: median and max of 20 frames after 3 warm ones;
 *   2. the program's allocation rate while heapscope reads it at 10 fps,
 *      against its rate alone: the program runs one allocating goroutine
 *      with GOMAXPROCS=1 (a core left for the reader), and alone and
 *      attached alternate in 1 s windows, nine of each; the median and
 *      quartiles of each pair's ratio (a pair's windows share the
 *      machine's speed of the moment, which moves by 30% for seconds
 *      here), and the ratio of the medians;
 *   3. with --freeze, the pause each frame costs a 100 MiB program, idle
 *      and allocating on 2 Ps (whose heap then grows to its GC goal, and
 *      is mostly in mark): every frame of 5 s at 10 fps, median and max.
 *
 * Usage: attach_bench HEAP-PROGRAM
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "heapscope/attach.h"

#define FRAMES 20
#define WARM 3
#define WINDOW_S 1
#define ROUNDS 9

typedef struct prog {
    pid_t pid;
    FILE *in, *out;
} prog;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static bool spawn(prog *p, const char *path, const char *mib, const char *procs)
{
    int to[2], from[2];
    if (pipe(to) != 0 || pipe(from) != 0)
        return false;
    p->pid = fork();
    if (p->pid == 0) {
        dup2(to[0], 0);
        dup2(from[1], 1);
        close(to[1]);
        close(from[0]);
        if (procs != NULL)
            setenv("GOMAXPROCS", procs, 1);
        execl(path, path, mib, (char *)NULL);
        _exit(127);
    }
    close(to[0]);
    close(from[1]);
    p->in = fdopen(to[1], "w");
    p->out = fdopen(from[0], "r");
    char line[128];
    return p->pid > 0 && fgets(line, sizeof line, p->out) != NULL && strncmp(line, "ready", 5) == 0;
}

static long ask(prog *p, const char *cmd)
{
    char line[128];
    fprintf(p->in, "%s\n", cmd);
    fflush(p->in);
    if (fgets(line, sizeof line, p->out) == NULL)
        return -1;
    const char *sp = strchr(line, ' ');
    return sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
}

static void end(prog *p)
{
    kill(p->pid, SIGKILL);
    waitpid(p->pid, NULL, 0);
    fclose(p->in);
    fclose(p->out);
}

static hs_attach *open_or_die(int pid, bool freeze, int fps)
{
    hs_attach_opts o = {.pid = pid, .freeze = freeze, .fps = fps};
    hs_attach *a;
    char why[512];
    if (hs_attach_open(&o, &a, why, sizeof why) != HS_ATTACH_OK) {
        fprintf(stderr, "attach_bench: %s\n", why);
        exit(1);
    }
    return a;
}

static void frame_time(const char *path, const char *mib)
{
    prog p;
    if (!spawn(&p, path, mib, NULL)) {
        fprintf(stderr, "attach_bench: %s %s did not start\n", path, mib);
        exit(1);
    }
    hs_attach *a = open_or_die(p.pid, false, 0);
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    double ms[FRAMES], max = 0;
    for (int i = 0; i < WARM + FRAMES; i++) {
        double t0 = now_ms();
        hs_attach_capture(a, pub);
        if (i >= WARM) {
            ms[i - WARM] = now_ms() - t0;
            max = ms[i - WARM] > max ? ms[i - WARM] : max;
        }
    }
    const hs_snapshot *s = hs_snapshot_acquire(pub);
    hs_attach_info in = hs_attach_get_info(a);
    printf("  %4s MiB heap (%s, HeapAlloc %.0f MiB, %u spans): one frame %.2f ms median, "
           "%.2f ms max\n",
           mib, in.go_version, (double)s->HeapAlloc / (1 << 20), s->nspans, median(ms, FRAMES),
           max);
    hs_snapshot_release(s);
    hs_attach_close(a);
    hs_snapshot_publisher_free(pub);
    end(&p);
}

/* Objects per second over one window, attached at 10 fps or not. */
static double window_rate(prog *p, bool attached)
{
    hs_attach *a = NULL;
    hs_snapshot_publisher *pub = NULL;
    if (attached) {
        a = open_or_die(p->pid, false, 10);
        pub = hs_snapshot_publisher_new();
        hs_attach_start(a, pub);
    }
    long c0 = ask(p, "count");
    double t0 = now_ms();
    sleep(WINDOW_S);
    long c1 = ask(p, "count");
    double t1 = now_ms();
    if (a != NULL) {
        hs_attach_close(a);
        hs_snapshot_publisher_free(pub);
    }
    return (double)(c1 - c0) / ((t1 - t0) / 1e3);
}

static void alloc_rate(const char *path)
{
    prog p;
    if (!spawn(&p, path, "100", "1")) {
        fprintf(stderr, "attach_bench: %s did not start\n", path);
        exit(1);
    }
    ask(&p, "churn");
    double alone[ROUNDS], with[ROUNDS], ratio[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        alone[r] = window_rate(&p, false);
        with[r] = window_rate(&p, true);
        ratio[r] = with[r] / alone[r];
    }
    double a = median(alone, ROUNDS), w = median(with, ROUNDS), q = median(ratio, ROUNDS);
    printf("  allocation rate of a 100 MiB program (GOMAXPROCS=1): alone %.1f M objects/s, "
           "read at 10 fps %.1f M objects/s: %.1f%% (median of %d pairs of 1 s windows; "
           "quartiles %.1f-%.1f%%; ratio of the medians %.1f%%)\n",
           a / 1e6, w / 1e6, 100 * q, ROUNDS, 100 * ratio[ROUNDS / 4], 100 * ratio[3 * ROUNDS / 4],
           100 * w / a);
    end(&p);
}

static void freeze_pauses(const char *path, bool churn)
{
    prog p;
    if (!spawn(&p, path, "100", NULL)) {
        fprintf(stderr, "attach_bench: %s did not start\n", path);
        exit(1);
    }
    if (churn)
        ask(&p, "churn");
    hs_attach *a = open_or_die(p.pid, true, 10);
    hs_snapshot_publisher *pub = hs_snapshot_publisher_new();
    hs_attach_start(a, pub);
    sleep(5);
    hs_attach_stop(a);
    int64_t ns[128];
    size_t n = hs_attach_pauses(a, ns, 128);
    double ms[128], max = 0;
    for (size_t i = 0; i < n; i++) {
        ms[i] = (double)ns[i] / 1e6;
        max = ms[i] > max ? ms[i] : max;
    }
    const hs_snapshot *s = hs_snapshot_acquire(pub);
    printf("  --freeze, a 100 MiB program %s (HeapAlloc %.0f MiB at the end): %zu frames, "
           "pause %.2f ms median, %.2f ms max\n",
           churn ? "allocating on 2 Ps" : "idle", (double)s->HeapAlloc / (1 << 20), n,
           n ? median(ms, (int)n) : 0, max);
    hs_snapshot_release(s);
    hs_attach_close(a);
    hs_snapshot_publisher_free(pub);
    end(&p);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fputs("usage: attach_bench HEAP-PROGRAM (bench/attach.sh builds it)\n", stderr);
        return 2;
    }
    printf("attach: reading a running Go program (%s)\n", argv[1]);
    frame_time(argv[1], "100");
    frame_time(argv[1], "800");
    alloc_rate(argv[1]);
    freeze_pauses(argv[1], false);
    freeze_pauses(argv[1], true);
    return 0;
}
