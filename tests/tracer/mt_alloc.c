/*
 * mt_alloc.c — a program for the tracer to record: THREADS threads, each
 * making CALLS rounds of one call of every allocator function the tracer
 * records, then freeing the blocks of the next thread (so every free is made
 * by another thread than the allocation).
 *
 * Usage: mt_alloc THREADS CALLS
 *
 * Each call asks a size that names its thread and its function, so a
 * reader of the trace can count exactly these calls among whatever libc
 * allocates for itself: thread t's function f asks size_of(t, f) bytes,
 * printed one per line as "t f size" on stdout.
 */
#include <config.h>

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum {
    F_MALLOC,
    F_CALLOC,
    F_REALLOC_FROM,
    F_REALLOC,
    F_POSIX_MEMALIGN,
    F_ALIGNED_ALLOC,
    F_MEMALIGN,
    F_VALLOC,
    F_PVALLOC,
    F_REALLOCARRAY,
    NFUNCS
};
#define NBLOCKS (NFUNCS - 1) /* the realloc'ed block replaces the one it came from */
#define ALIGN 64

typedef struct worker {
    pthread_t th;
    int id, calls;
    void **blocks; /* [calls * NBLOCKS] */
    pthread_barrier_t *done;
    struct worker *next;
} worker;

static size_t size_of(int t, int f)
{
    return (size_t)ALIGN * (1000 + 16 * (size_t)t + (size_t)f);
}

static void *must(void *p)
{
    if (p == NULL) {
        perror("mt_alloc");
        exit(1);
    }
    return p;
}

static void one_round(const worker *w, void **out)
{
    int t = w->id;
    void *p;
    out[0] = must(malloc(size_of(t, F_MALLOC)));
    out[1] = must(calloc(1, size_of(t, F_CALLOC)));
    p = must(malloc(size_of(t, F_REALLOC_FROM)));
    out[2] = must(realloc(p, size_of(t, F_REALLOC)));
    if (posix_memalign(&p, ALIGN, size_of(t, F_POSIX_MEMALIGN)) != 0)
        must(NULL);
    out[3] = p;
    out[4] = must(aligned_alloc(ALIGN, size_of(t, F_ALIGNED_ALLOC)));
    out[5] = must(memalign(ALIGN, size_of(t, F_MEMALIGN)));
    out[6] = must(valloc(size_of(t, F_VALLOC)));
    out[7] = must(pvalloc(size_of(t, F_PVALLOC)));
    out[8] = must(reallocarray(NULL, 1, size_of(t, F_REALLOCARRAY)));
}

static void *work(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < w->calls; i++)
        one_round(w, &w->blocks[(size_t)i * NBLOCKS]);
    pthread_barrier_wait(w->done);
    for (size_t i = 0; i < (size_t)w->calls * NBLOCKS; i++)
        free(w->next->blocks[i]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fputs("usage: mt_alloc THREADS CALLS\n", stderr);
        return 2;
    }
    int n = atoi(argv[1]), calls = atoi(argv[2]);
    if (n < 1 || n > 64 || calls < 1)
        return 2;
    unsigned nthreads = (unsigned)n;
    for (int t = 0; t < n; t++)
        for (int f = 0; f < NFUNCS; f++)
            printf("%d %d %zu\n", t, f, size_of(t, f));
    fflush(stdout);
    worker *w = must(calloc(nthreads, sizeof *w));
    pthread_barrier_t done;
    pthread_barrier_init(&done, NULL, nthreads);
    for (int t = 0; t < n; t++) {
        w[t] = (worker){.id = t, .calls = calls, .done = &done, .next = &w[(t + 1) % n]};
        w[t].blocks = must(malloc((size_t)calls * NBLOCKS * sizeof(void *)));
    }
    for (int t = 0; t < n; t++)
        if (pthread_create(&w[t].th, NULL, work, &w[t]) != 0)
            must(NULL);
    for (int t = 0; t < n; t++)
        pthread_join(w[t].th, NULL);
    for (int t = 0; t < n; t++)
        free(w[t].blocks);
    free(w);
    return 0;
}
