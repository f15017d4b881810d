/*
 * gcutil.h — helpers for the collector's tests: a node type with pointer
 * fields and a checksum, and runtimes with the checkmark verifier on.
 */
#ifndef HS_TESTS_GCUTIL_H
#define HS_TESTS_GCUTIL_H

#include <stdio.h>
#include <string.h>

#include "runtime/runtime2.h"
#include "testutil.h"

/* A node: 4 pointer fields, then an identity and its checksum. */
typedef struct node {
    struct node *next[4];
    uint64_t id;
    uint64_t sum;
} node;
static const uint8_t node_mask[] = {0x0f};
static const hs_type node_type = {"node", sizeof(node), 4 * sizeof(void *), node_mask};

static inline uint64_t node_sum(uint64_t id)
{
    return id * 0x9e3779b97f4a7c15ull ^ 0x5bd1e995u;
}

static inline node *node_new(hs_p *pp, uint64_t id)
{
    node *n = hs_malloc(pp, sizeof(node), &node_type);
    if (n != NULL) {
        n->id = id;
        n->sum = node_sum(id);
    }
    return n;
}

static inline bool node_ok(const node *n)
{
    return n->sum == node_sum(n->id);
}

static inline hs_runtime *gc_rt_new_mode(int nprocs, int gogc, hs_gcmode mode, bool background)
{
    hs_config cfg = hs_config_default();
    cfg.nprocs = nprocs;
    cfg.gogc = gogc;
    cfg.verify = true;
    cfg.nglobals = 64;
    cfg.gcmode = mode;
    cfg.background = background;
    hs_runtime *rt = NULL;
    ck_assert_int_eq(hs_runtime_new(&cfg, &rt), HS_OK);
    return rt;
}

static inline hs_runtime *gc_rt_new(int nprocs, int gogc)
{
    return gc_rt_new_mode(nprocs, gogc, HS_GC_CLASSIC, true);
}

static inline uint64_t heap_objects(hs_runtime *rt)
{
    hs_memstats ms;
    hs_read_memstats(rt, &ms);
    return ms.HeapObjects;
}

/* A clock that jumps on demand (add to offset): the OS's otherwise.  Give
 * &jc->sys to the runtime's config. */
typedef struct jumpclock {
    hs_sysops sys;
    int64_t offset; /* atomic */
} jumpclock;

static inline int64_t jump_nanotime(void *ctx)
{
    jumpclock *jc = ctx;
    return hs_sysops_linux.nanotime(hs_sysops_linux.ctx) + atomic_load_i64(&jc->offset);
}

static inline void jumpclock_init(jumpclock *jc)
{
    jc->sys = hs_sysops_linux;
    jc->sys.nanotime = jump_nanotime;
    jc->sys.ctx = jc;
    jc->offset = 0;
}

#endif
