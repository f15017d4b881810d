/*
 * fork_alloc.c — a program for the tracer to record across fork.
 *
 * Usage: fork_alloc plain N
 *   The parent allocates N blocks of 7001 bytes and forks.  The child
 *   allocates and frees N blocks of 7002 bytes, frees the parent's blocks
 *   (which its own trace never saw allocated) and exits.  The parent waits,
 *   allocates N blocks of 7003 bytes and frees everything.  Prints the
 *   child's pid.
 * Usage: fork_alloc busy FORKS
 *   Two threads allocate and free without pause while the main thread forks
 *   FORKS times; each child allocates once and exits.  It must not hang.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

static void *must(void *p)
{
    if (p == NULL) {
        perror("fork_alloc");
        exit(1);
    }
    return p;
}

static int wait_child(pid_t pid)
{
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static int plain(int n)
{
    void **mine = must(malloc((size_t)n * sizeof *mine)), **later;
    for (int i = 0; i < n; i++)
        mine[i] = must(malloc(7001));
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < n; i++)
            free(must(malloc(7002)));
        for (int i = 0; i < n; i++)
            free(mine[i]);
        exit(0);
    }
    if (wait_child(pid) != 0)
        return 1;
    later = must(malloc((size_t)n * sizeof *later));
    for (int i = 0; i < n; i++)
        later[i] = must(malloc(7003));
    for (int i = 0; i < n; i++) {
        free(mine[i]);
        free(later[i]);
    }
    free(mine);
    free(later);
    printf("%ld\n", (long)pid);
    return 0;
}

static int stop; /* atomic */

/* Bursts of allocation with short rests, so the trace stays small. */
static void *churn(void *arg)
{
    struct timespec rest = {0, 20000};
    for (size_t k = 0; !__atomic_load_n(&stop, __ATOMIC_RELAXED); k++) {
        void *p = must(malloc(16 + k % 4096));
        memset(p, 1, 16);
        free(p);
        if (k % 16 == 15)
            nanosleep(&rest, NULL);
    }
    return arg;
}

static int busy(int forks)
{
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&th[i], NULL, churn, NULL) != 0)
            return 1;
    int bad = 0;
    for (int i = 0; i < forks; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            free(must(malloc(100)));
            exit(0);
        }
        bad |= wait_child(pid) != 0;
    }
    __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    return bad;
}

int main(int argc, char **argv)
{
    int n = argc == 3 ? atoi(argv[2]) : 0;
    if (n > 0 && strcmp(argv[1], "plain") == 0)
        return plain(n);
    if (n > 0 && strcmp(argv[1], "busy") == 0)
        return busy(n);
    fputs("usage: fork_alloc plain N | busy FORKS\n", stderr);
    return 2;
}
