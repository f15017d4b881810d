/*
 * freeze.c — --freeze: every thread of the program stopped for one frame's
 * reads, then let go.
 *
 *   1. list /proc/PID/task; PTRACE_SEIZE each thread not yet held (it does
 *      not stop it) and PTRACE_INTERRUPT it;
 *   2. wait for each to report its stop (waitpid __WALL, polled, so a thread
 *      that never stops cannot hang the reader: after STOP_WAIT_NS the frame
 *      gives up and lets everything go);
 *   3. list the threads again: one created meanwhile is held too, until a
 *      listing finds none new (all others are stopped, so this ends);
 *   4. after the reads, PTRACE_DETACH each thread.
 *
 * A thread may report a signal-delivery stop instead of the interrupt (Go
 * preempts with SIGURG and profiles with SIGPROF all the time): that signal
 * is handed back at the detach, so the program loses nothing.  A thread in a
 * group stop (the program was stopped with SIGSTOP) stays stopped after the
 * detach, as it was before.  The same thread of heapscope must stop and
 * release (ptrace ties a tracee to its tracer thread).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>

#include "attach/attachint.h"

#define STOP_WAIT_NS 500000000LL /* 0.5 s */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static bool held(const freezer *f, pid_t tid)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->tids[i] == tid)
            return true;
    return false;
}

static bool push(freezer *f, pid_t tid)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 64;
        pid_t *t = realloc(f->tids, cap * sizeof *t);
        if (t == NULL)
            return false;
        f->tids = t;
        int *s = realloc(f->sig, cap * sizeof *s);
        if (s == NULL)
            return false;
        f->sig = s;
        f->cap = cap;
    }
    f->tids[f->n] = tid;
    f->sig[f->n++] = 0;
    return true;
}

/* Wait for thread i's stop; false if it did not come in time or the thread
 * is gone (it is then dropped). */
static bool wait_stop(freezer *f, size_t i, int64_t deadline)
{
    for (int spins = 0;; spins++) {
        int st;
        pid_t r = waitpid(f->tids[i], &st, __WALL | WNOHANG);
        if (r == f->tids[i]) {
            if (!WIFSTOPPED(st))
                return false; /* exited */
            int sig = WSTOPSIG(st);
            bool event = (st >> 16) != 0;
            if (!event && sig != SIGTRAP)
                f->sig[i] = sig; /* a signal on its way in: give it back */
            return true;
        }
        if (r < 0 && errno != EINTR)
            return false;
        if (mono_ns() > deadline)
            return false;
        if (spins > 64) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
}

/* Seize and interrupt the threads not yet held; wait for them.  Returns how
 * many were new, or -errno. */
static int stop_new(freezer *f, int64_t deadline)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)f->pid);
    DIR *d = opendir(path);
    if (d == NULL)
        return -ESRCH;
    size_t first = f->n;
    int err = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        pid_t tid = (pid_t)atoi(de->d_name);
        if (tid <= 0 || held(f, tid))
            continue;
        if (ptrace(PTRACE_SEIZE, tid, 0, 0) != 0) {
            if (errno != ESRCH)
                err = -errno; /* EPERM: traced by someone else, or not allowed */
            continue;
        }
        if (!push(f, tid)) {
            ptrace(PTRACE_DETACH, tid, 0, 0);
            err = -ENOMEM;
            break;
        }
        ptrace(PTRACE_INTERRUPT, tid, 0, 0);
    }
    closedir(d);
    for (size_t i = first; i < f->n; i++)
        if (!wait_stop(f, i, deadline)) {
            if (kill(f->tids[i], 0) != 0 && errno == ESRCH) {
                f->tids[i] = f->tids[--f->n]; /* gone: forget it */
                f->sig[i--] = f->sig[f->n];
            } else if (err == 0) {
                err = -ETIMEDOUT;
            }
        }
    return err != 0 ? err : (int)(f->n - first);
}

int freeze_stop(freezer *f)
{
    int64_t deadline = mono_ns() + STOP_WAIT_NS;
    f->n = 0;
    for (;;) {
        int r = stop_new(f, deadline);
        if (r < 0) {
            freeze_release(f);
            return r;
        }
        if (r == 0)
            return f->n > 0 ? 0 : -ESRCH;
    }
}

/* A thread is detached only in a stop: one that never reported its stop is
 * asked once more and waited for (bounded) before the detach. */
void freeze_release(freezer *f)
{
    for (size_t i = 0; i < f->n; i++) {
        if (ptrace(PTRACE_DETACH, f->tids[i], 0, (void *)(intptr_t)f->sig[i]) == 0 ||
            errno != ESRCH || kill(f->tids[i], 0) != 0)
            continue;
        ptrace(PTRACE_INTERRUPT, f->tids[i], 0, 0);
        if (wait_stop(f, i, mono_ns() + STOP_WAIT_NS))
            ptrace(PTRACE_DETACH, f->tids[i], 0, (void *)(intptr_t)f->sig[i]);
    }
    f->n = 0;
}

void freeze_free(freezer *f)
{
    freeze_release(f);
    free(f->tids);
    free(f->sig);
    f->tids = NULL;
    f->sig = NULL;
    f->cap = 0;
}
