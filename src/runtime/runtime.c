/*
 * runtime.c — the runtime object (Go: proc.go schedinit, runtime2.go).
 *
 * hs_runtime_new builds everything one runtime owns, in order: the heap (arena
 * index, page allocator, mcentrals), the Ps with their mcaches, the globals,
 * the collector's state, then the background threads (sweeper, scavenger,
 * collector).  Failure at any step unwinds what was built (one goto fail path).
 * hs_runtime_free stops the threads first, then returns every arena and
 * metadata page to the OS.  Ps and goroutines live in proc.c.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/runtime2.h"

hs_config hs_config_default(void)
{
    hs_config c = {
        .nprocs = 1,
        .gogc = 100,
        .max_heap = 0,
        .memory_limit = 0,
        .gcmode = HS_GC_CLASSIC,
        .background = true,
        .verify = false,
        .nglobals = 64,
        .sys = NULL,
    };
    return c;
}

void runtime_seterr(hs_runtime *rt, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&rt->errlock);
    vsnprintf(rt->err, sizeof(rt->err), fmt, ap);
    pthread_mutex_unlock(&rt->errlock);
    va_end(ap);
}

void hs_throw(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("heapscope: fatal runtime error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

const char *hs_runtime_error(const hs_runtime *rt)
{
    return rt->err;
}

hs_oom_info hs_runtime_oom(const hs_runtime *rt)
{
    hs_runtime *mrt = (hs_runtime *)rt;
    pthread_mutex_lock(&mrt->errlock);
    hs_oom_info info = rt->oom;
    pthread_mutex_unlock(&mrt->errlock);
    return info;
}

static bool config_is_valid(const hs_config *cfg)
{
    return cfg->nprocs >= 1 && cfg->nprocs <= 1024 &&
           (cfg->gcmode == HS_GC_CLASSIC || cfg->gcmode == HS_GC_GREENTEA);
}

hs_status hs_runtime_new(const hs_config *cfg, hs_runtime **out)
{
    *out = NULL;
    if (!config_is_valid(cfg))
        return HS_EINVAL;
    hs_runtime *rt = calloc(1, sizeof(*rt));
    if (rt == NULL)
        return HS_ENOMEM;
    rt->cfg = *cfg;
    rt->sys = cfg->sys ? *cfg->sys : hs_sysops_linux;
    rt->nprocs = cfg->nprocs;
    pthread_mutex_init(&rt->errlock, NULL);
    int gogc = cfg->gogc < 0 ? 100 : cfg->gogc;
    rt->heapGoal = (uint64_t)(4 << 20) * (uint64_t)gogc / 100; /* Go's minimum heap */
    rt->startTime = nanotime(&rt->sys);
    if (mheap_init(&rt->heap, rt) != 0)
        goto fail;
    if (procs_init(rt) != 0)
        goto fail;
    rt->globals = calloc(cfg->nglobals ? cfg->nglobals : 1, sizeof(void *));
    if (rt->globals == NULL)
        goto fail;
    sweep_init(rt);
    scav_init(rt);
    gc_init(rt);
    if (cfg->background) {
        sweep_start_thread(rt);
        scav_start_thread(rt);
        gc_start_thread(rt);
    }
    *out = rt;
    return HS_OK;
fail:
    free(rt->globals);
    procs_free(rt);
    mheap_destroy(&rt->heap, rt);
    pthread_mutex_destroy(&rt->errlock);
    free(rt);
    return HS_ENOMEM;
}

void hs_runtime_free(hs_runtime *rt)
{
    if (rt == NULL)
        return;
    gc_stop_thread(rt);
    sweep_stop_thread(rt);
    scav_stop_thread(rt);
    gc_destroy(rt);
    procs_free(rt);
    free(rt->globals);
    mheap_destroy(&rt->heap, rt);
    pthread_mutex_destroy(&rt->sweep.lock);
    pthread_cond_destroy(&rt->sweep.cond);
    pthread_mutex_destroy(&rt->scav.lock);
    pthread_cond_destroy(&rt->scav.cond);
    pthread_mutex_destroy(&rt->errlock);
    free(rt);
}

struct timespec realtimeAfter(int64_t ns)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ns / 1000000000;
    ts.tv_nsec += ns % 1000000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}
