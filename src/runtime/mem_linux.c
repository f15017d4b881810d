/*
 * mem_linux.c — the real OS behind hs_sysops (Go: mem_linux.go).
 *
 * Address space is mapped read/write with MAP_NORESERVE, so it costs no memory
 * until touched.  A hint is passed as a plain hint, never MAP_FIXED: the kernel
 * uses it only when the range is free, so a hint never clobbers an existing
 * mapping (several runtimes in one process each find their own range), and a
 * mapping placed elsewhere is given back and reported as a refusal.  Sanitizers
 * that reserve the hinted range for themselves then simply refuse it.  Released pages are dropped with madvise(MADV_DONTNEED): RSS falls
 * at once and the pages read as zero on next touch.
 */
#include "runtime/mem.h"

#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void *linux_map(void *ctx, uintptr_t hint, size_t n)
{
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    void *v = mmap((void *)hint, n, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (v == MAP_FAILED)
        return NULL;
    if (hint != 0 && (uintptr_t)v != hint) {
        munmap(v, n); /* the hinted range was taken */
        return NULL;
    }
    return v;
}

static void linux_unmap(void *ctx, void *v, size_t n)
{
    munmap(v, n);
}

static void linux_unused(void *ctx, void *v, size_t n)
{
    madvise(v, n, MADV_DONTNEED);
}

static int64_t linux_nanotime(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const hs_sysops hs_sysops_linux = {
    .map = linux_map,
    .unmap = linux_unmap,
    .unused = linux_unused,
    .nanotime = linux_nanotime,
    .ctx = NULL,
};

void *sysReserveAligned(const hs_sysops *sys, uintptr_t hint, size_t n, size_t align)
{
    if (hint != 0 && hint % align == 0) {
        void *v = sys->map(sys->ctx, hint, n);
        if (v != NULL)
            return v;
    }
    /* Over-reserve and trim to the alignment. */
    void *raw = sys->map(sys->ctx, 0, n + align);
    if (raw == NULL)
        return NULL;
    uintptr_t base = ((uintptr_t)raw + align - 1) & ~(uintptr_t)(align - 1);
    uintptr_t end = (uintptr_t)raw + n + align;
    if (base > (uintptr_t)raw)
        sys->unmap(sys->ctx, raw, base - (uintptr_t)raw);
    if (end > base + n)
        sys->unmap(sys->ctx, (void *)(base + n), end - (base + n));
    return (void *)base;
}

void sysFree(const hs_sysops *sys, void *v, size_t n)
{
    sys->unmap(sys->ctx, v, n);
}

void sysUnused(const hs_sysops *sys, void *v, size_t n)
{
    sys->unused(sys->ctx, v, n);
}

int64_t nanotime(const hs_sysops *sys)
{
    return sys->nanotime(sys->ctx);
}

void osThreadSetup(const char *name, osThreadKind kind)
{
    pthread_setname_np(pthread_self(), name);
    if (kind == osThreadBackground)
        setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10); /* this thread only, on Linux */
}
