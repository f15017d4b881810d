/*
 * rtutil.h — helpers for tests that look inside the runtime.
 *
 * Until the collector marks objects itself, tests play its part: with no P
 * allocating, finish the previous sweep, set the mark bits of the objects that
 * must survive, then start a sweep cycle.
 */
#ifndef HS_TESTS_RTUTIL_H
#define HS_TESTS_RTUTIL_H

#include <stdio.h>
#include <string.h>

#include "runtime/runtime2.h"
#include "testutil.h"

/* A runtime for allocator tests: GOGC off, so only the test collects. */
static inline hs_runtime *rt_new(int nprocs, bool background)
{
    hs_config cfg = hs_config_default();
    cfg.nprocs = nprocs;
    cfg.background = background;
    cfg.gogc = -1;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    return rt;
}

/* Mark the object containing p as reachable for the coming sweep. */
static inline void rt_mark(hs_runtime *rt, const void *p)
{
    mspan *s = spanOfHeap(&rt->heap, (uintptr_t)p);
    ck_assert_ptr_nonnull(s);
    uintptr_t idx = spanClass_sizeclass(s->spanclass) == 0 ? 0 : mspan_objIndex(s, (uintptr_t)p);
    bits_set_atomic(s->gcmarkBits, idx);
}

static inline bool rt_is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

/* Every validator the runtime has, for the end of each test. */
static inline void rt_assert_valid(hs_runtime *rt)
{
    ck_assert(mheap_is_valid(rt));
    for (int i = 0; i < numSpanClasses; i++)
        ck_assert_msg(mcentral_is_valid(rt, &rt->heap.central[i]), "mcentral %d invalid", i);
    for (int i = 0; i < rt->nprocs; i++)
        ck_assert(mcache_is_valid(rt, &rt->allp[i]->mcache));
}

/* Pointer-bearing test types. */
static const uint8_t rt_ptr_first[] = {0x01}; /* word 0 is a pointer */
static const hs_type rt_node16 = {"node16", 16, 8, rt_ptr_first};
static const uint8_t rt_ptr_all[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

#endif
