/*
 * preload.c — the allocator functions libheapscope-trace.so puts in front
 * of the program's own: each calls the next definition in the search order
 * (glibc's malloc, or another preloaded allocator) and records the call.
 *
 * Finding the real functions: dlsym(RTLD_NEXT, ...) on the first call, by
 * whichever threads get there first (dlsym is thread-safe, the pointers are
 * stored atomically and every finder stores the same ones).  dlsym itself
 * may allocate; while a thread is finding, its allocations come from a small
 * static bootstrap arena, bump-allocated and never reused.  free() of an
 * arena block does nothing and realloc() moves it to the real heap, so the
 * real allocator never sees an arena address.
 *
 * Recording: see tracer.h.  A free is timed before the block is given back
 * and an allocation after it is obtained, so when one thread frees a block
 * and another gets the same address, the times order the two correctly.
 *
 * _exit and _Exit are interposed as well, only to finish the trace (see
 * recorder.c).
 *
 * Not interposed: malloc_usable_size and friends (they are handed real
 * blocks), and anything that allocates without calling these (mmap, brk,
 * a program's own allocator).
 */
#include <config.h>

#include "heapscope/trace.h"
#include "tracer/tracer.h"

#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The library is built with hidden visibility: only these are exported. */
#define EXPORT __attribute__((visibility("default")))

#define ARENA_BYTES (64 * 1024)
#define ARENA_ALIGN 16

typedef struct real_fns {
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void *(*reallocarray)(void *, size_t, size_t);
    void (*free)(void *);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    void (*exit_now)(int); /* _exit */
} real_fns;

static real_fns real; /* atomic pointers: NULL until found */
static _Thread_local int finding __attribute__((tls_model("initial-exec")));

/* The bootstrap arena: each block is preceded by its size. */
static _Alignas(ARENA_ALIGN) unsigned char arena[ARENA_BYTES];
static size_t arena_used; /* atomic */

/* ---- the bootstrap arena ------------------------------------------------------- */

static bool arena_owns(const void *p)
{
    return (const unsigned char *)p >= arena && (const unsigned char *)p < arena + ARENA_BYTES;
}

static void *arena_alloc(size_t n, size_t align)
{
    if (align < ARENA_ALIGN)
        align = ARENA_ALIGN;
    if (n > ARENA_BYTES || align > ARENA_BYTES / 2)
        return NULL;
    size_t need = (n + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN + align + ARENA_ALIGN;
    size_t at = __atomic_fetch_add(&arena_used, need, __ATOMIC_RELAXED);
    if (at + need > ARENA_BYTES)
        return NULL;
    uintptr_t base = (uintptr_t)(arena + at + ARENA_ALIGN);
    unsigned char *p = (unsigned char *)((base + align - 1) / align * align);
    memcpy(p - sizeof n, &n, sizeof n);
    return p; /* static storage: already zero */
}

static size_t arena_size(const void *p)
{
    size_t n;
    memcpy(&n, (const unsigned char *)p - sizeof n, sizeof n);
    return n;
}

/* ---- the real functions ----------------------------------------------------------- */

static void *next_fn(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

#define FIND(field)                                                                                \
    __atomic_store_n(&real.field, (__typeof__(real.field))next_fn(#field), __ATOMIC_RELEASE)

/* Find them all; false while this thread is already finding (the caller
 * then uses the arena). */
static bool find_real(void)
{
    if (finding)
        return false;
    finding = 1;
    FIND(calloc);
    FIND(realloc);
    FIND(reallocarray);
    FIND(free);
    FIND(posix_memalign);
    FIND(aligned_alloc);
    FIND(memalign);
    FIND(valloc);
    FIND(pvalloc);
    __atomic_store_n(&real.exit_now, (void (*)(int))next_fn("_exit"), __ATOMIC_RELEASE);
    FIND(malloc); /* last: its presence says all are found */
    finding = 0;
    return real.malloc != NULL;
}

static bool ready(void)
{
    return __atomic_load_n(&real.malloc, __ATOMIC_ACQUIRE) != NULL || find_real();
}

/* ---- recording ------------------------------------------------------------------ */

static void record(uint8_t op, uint64_t t, const void *old, size_t align, uint64_t size,
                   const void *addr)
{
    rec_call c = {
        .op = op,
        .t = t,
        .old = (uintptr_t)old,
        .align = align,
        .size = size,
        .addr = (uintptr_t)addr,
    };
    rec_leave(&c);
}

/* nmemb * size, or UINT64_MAX when it overflows. */
static uint64_t product(size_t nmemb, size_t size)
{
    size_t n;
    return __builtin_mul_overflow(nmemb, size, &n) ? UINT64_MAX : n;
}

/* ---- the interposed functions ---------------------------------------------------- */

EXPORT void *malloc(size_t n)
{
    if (!ready())
        return arena_alloc(n, ARENA_ALIGN);
    if (!rec_enter())
        return real.malloc(n);
    void *p = real.malloc(n);
    record(HS_TRACE_MALLOC, rec_now(), NULL, 0, n, p);
    return p;
}

EXPORT void *calloc(size_t nmemb, size_t size)
{
    if (!ready()) {
        uint64_t n = product(nmemb, size);
        return n == UINT64_MAX ? NULL : arena_alloc((size_t)n, ARENA_ALIGN);
    }
    if (!rec_enter())
        return real.calloc(nmemb, size);
    void *p = real.calloc(nmemb, size);
    record(HS_TRACE_CALLOC, rec_now(), NULL, 0, product(nmemb, size), p);
    return p;
}

EXPORT void free(void *p)
{
    if (p == NULL || arena_owns(p) || !ready())
        return; /* nothing, an arena block, or a block no real heap has */
    if (!rec_enter()) {
        real.free(p);
        return;
    }
    uint64_t t = rec_now();
    real.free(p);
    record(HS_TRACE_FREE, t, NULL, 0, 0, p);
}

/* An arena block moves to the real heap (recorded as a new block: the arena
 * is never in the trace). */
static void *arena_realloc(void *old, uint64_t n)
{
    if (n == UINT64_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc((size_t)n);
    if (p != NULL) {
        size_t had = arena_size(old);
        memcpy(p, old, had < n ? had : (size_t)n);
    }
    return p;
}

EXPORT void *realloc(void *old, size_t n)
{
    if (arena_owns(old))
        return arena_realloc(old, n);
    if (!ready())
        return old == NULL ? arena_alloc(n, ARENA_ALIGN) : NULL;
    if (!rec_enter())
        return real.realloc(old, n);
    void *p = real.realloc(old, n);
    record(HS_TRACE_REALLOC, rec_now(), old, 0, n, p);
    return p;
}

EXPORT void *reallocarray(void *old, size_t nmemb, size_t size)
{
    uint64_t n = product(nmemb, size);
    if (arena_owns(old))
        return arena_realloc(old, n);
    if (!ready() || real.reallocarray == NULL)
        return realloc(old, n == UINT64_MAX ? SIZE_MAX : (size_t)n);
    if (!rec_enter())
        return real.reallocarray(old, nmemb, size);
    void *p = real.reallocarray(old, nmemb, size);
    record(HS_TRACE_REALLOC, rec_now(), old, 0, n, p);
    return p;
}

EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (!ready()) {
        void *p = arena_alloc(n, align);
        if (p == NULL)
            return ENOMEM;
        *out = p;
        return 0;
    }
    if (!rec_enter())
        return real.posix_memalign(out, align, n);
    void *p = NULL;
    int rc = real.posix_memalign(&p, align, n);
    if (rc == 0)
        *out = p;
    record(HS_TRACE_POSIX_MEMALIGN, rec_now(), NULL, align, n, rc == 0 ? p : NULL);
    return rc;
}

/* aligned_alloc, memalign: the same shape. */
static void *aligned(uint8_t op, void *(*fn)(size_t, size_t), size_t align, size_t n)
{
    if (!rec_enter())
        return fn(align, n);
    void *p = fn(align, n);
    record(op, rec_now(), NULL, align, n, p);
    return p;
}

EXPORT void *aligned_alloc(size_t align, size_t n)
{
    if (!ready())
        return arena_alloc(n, align);
    return aligned(HS_TRACE_ALIGNED_ALLOC, real.aligned_alloc, align, n);
}

EXPORT void *memalign(size_t align, size_t n)
{
    if (!ready())
        return arena_alloc(n, align);
    return aligned(HS_TRACE_MEMALIGN, real.memalign, align, n);
}

/* valloc, pvalloc: page-aligned. */
static void *paged(uint8_t op, void *(*fn)(size_t), size_t n)
{
    if (!rec_enter())
        return fn(n);
    void *p = fn(n);
    record(op, rec_now(), NULL, 0, n, p);
    return p;
}

EXPORT void *valloc(size_t n)
{
    return ready() ? paged(HS_TRACE_VALLOC, real.valloc, n) : NULL;
}

EXPORT void *pvalloc(size_t n)
{
    return ready() ? paged(HS_TRACE_PVALLOC, real.pvalloc, n) : NULL;
}

/* _exit and _Exit (one function in glibc, two symbols) run no destructor:
 * the trace is finished here instead. */
static _Noreturn void leave_now(int status)
{
    rec_exit();
    if (ready() && real.exit_now != NULL)
        real.exit_now(status);
    syscall(SYS_exit_group, status);
    for (;;)
        syscall(SYS_exit, status);
}

EXPORT void _exit(int status)
{
    leave_now(status);
}

EXPORT void _Exit(int status)
{
    leave_now(status);
}
