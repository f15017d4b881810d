/*
 * trace_plan.c — reads a malloc trace (include/heapscope/trace.h) and plans
 * its replay (trace_plan.h).
 *
 * Planning, in order:
 *   1. every record is read and checked by the tracer's reader; the first
 *      problem ends the load with the reader's sentence, which names the
 *      byte offset;
 *   2. records are sorted by time (file order breaks ties), which puts
 *      every thread's calls in their own order and a block's allocation
 *      before its free, whichever threads made them;
 *   3. walking that timeline, a map from live addresses to slots gives each
 *      block a slot when it is allocated and takes it back when it is freed:
 *        allocation      a new object in a free slot;
 *        free            its slot's object dropped, the slot free again;
 *        realloc         a new object (if one came back), then the old
 *                        one's slot dropped (if it had one, and unless the
 *                        call failed and kept it);
 *      A free of an address the trace never allocated (a block from before
 *      tracing, or from a call the tracer passed through) is counted and
 *      skipped.  An allocation at an address still live means its free went
 *      unseen: the old object is dropped first.
 */
#include <config.h>

#include "workload/trace_plan.h"
#include "heapscope/trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 1024

typedef struct raw {
    uint64_t t, size, old, addr, seq;
    uint32_t thread;
    uint8_t op;
} raw;

/* Live addresses to slots: open addressing, linear probing, deletion by
 * shifting back (no tombstones).  Key 0 marks an empty cell. */
typedef struct addrmap {
    uint64_t *keys;
    uint32_t *vals;
    size_t cap, len; /* cap a power of two; len <= cap / 2 */
} addrmap;

typedef struct planner {
    tr_plan *plan;
    size_t cap; /* of plan->ops */
    addrmap live;
    uint32_t *free; /* slots given back, a stack */
    size_t nfree, free_cap;
    uint32_t *seq; /* [slot]: operations planned on it so far */
    size_t seq_cap;
    uint64_t t0;
} planner;

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : MIN_CAP;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * elem);
    if (q == NULL)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* ---- the address map ------------------------------------------------------------ */

static size_t hash(uint64_t a)
{
    a ^= a >> 33;
    a *= 0xff51afd7ed558ccdULL;
    a ^= a >> 33;
    return (size_t)a;
}

static bool map_put(addrmap *m, uint64_t key, uint32_t val);

static bool map_rehash(addrmap *m)
{
    addrmap old = *m;
    size_t cap = old.cap ? old.cap * 2 : MIN_CAP;
    m->keys = calloc(cap, sizeof *m->keys);
    m->vals = malloc(cap * sizeof *m->vals);
    m->cap = cap;
    m->len = 0;
    if (m->keys == NULL || m->vals == NULL) {
        free(m->keys);
        free(m->vals);
        *m = old;
        return false;
    }
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] != 0)
            map_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
    return true;
}

static bool map_put(addrmap *m, uint64_t key, uint32_t val)
{
    if ((m->len + 1) * 2 > m->cap && !map_rehash(m))
        return false;
    size_t i = hash(key) & (m->cap - 1);
    while (m->keys[i] != 0)
        i = (i + 1) & (m->cap - 1);
    m->keys[i] = key;
    m->vals[i] = val;
    m->len++;
    return true;
}

/* Remove key; its value in *val.  False when absent. */
static bool map_take(addrmap *m, uint64_t key, uint32_t *val)
{
    size_t mask = m->cap - 1, i;
    if (m->cap == 0)
        return false;
    for (i = hash(key) & mask; m->keys[i] != key; i = (i + 1) & mask)
        if (m->keys[i] == 0)
            return false;
    *val = m->vals[i];
    /* Shift back every later key of the run whose home is not after the hole. */
    for (size_t j = (i + 1) & mask; m->keys[j] != 0; j = (j + 1) & mask) {
        size_t home = hash(m->keys[j]) & mask;
        if (((j - home) & mask) >= ((j - i) & mask)) {
            m->keys[i] = m->keys[j];
            m->vals[i] = m->vals[j];
            i = j;
        }
    }
    m->keys[i] = 0;
    m->len--;
    return true;
}

/* ---- reading ------------------------------------------------------------------------- */

static int cmp_raw(const void *a, const void *b)
{
    const raw *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Every record of r, in file order.  -1 on a bad file or no memory. */
static int read_all(hs_trace_reader *r, raw **out, size_t *count, char *why, size_t n)
{
    hs_trace_record rec;
    size_t len = 0, cap = 0;
    raw *v = NULL;
    int st;
    while ((st = hs_trace_next(r, &rec, why, n)) == 1) {
        if (!grow((void **)&v, &cap, len + 1, sizeof *v)) {
            say(why, n, "out of memory after %zu records", len);
            st = -1;
            break;
        }
        v[len] = (raw){.t = rec.t_ns,
                       .size = rec.size,
                       .old = rec.old,
                       .addr = rec.addr,
                       .seq = len,
                       .thread = rec.thread,
                       .op = (uint8_t)rec.op};
        len++;
    }
    *out = v;
    *count = len;
    return st;
}

/* ---- planning ------------------------------------------------------------------------- */

static bool new_slot(planner *p, uint32_t *slot)
{
    if (p->nfree > 0) {
        *slot = p->free[--p->nfree];
        return true;
    }
    uint32_t s = p->plan->nslots;
    if (s == TR_NONE - 1 || !grow((void **)&p->seq, &p->seq_cap, (size_t)s + 1, sizeof *p->seq))
        return false;
    p->seq[s] = 0;
    p->plan->nslots++;
    *slot = s;
    return true;
}

static bool give_back(planner *p, uint32_t slot)
{
    if (!grow((void **)&p->free, &p->free_cap, p->nfree + 1, sizeof *p->free))
        return false;
    p->free[p->nfree++] = slot;
    return true;
}

static bool emit(planner *p, const raw *r, uint32_t slot, uint32_t drop)
{
    tr_plan *pl = p->plan;
    if (!grow((void **)&pl->ops, &p->cap, pl->nops + 1, sizeof *pl->ops))
        return false;
    tr_op *op = &pl->ops[pl->nops++];
    *op = (tr_op){
        .t_ns = r->t - p->t0, .size = r->size, .thread = r->thread, .slot = slot, .drop = drop};
    if (slot != TR_NONE)
        op->slot_seq = p->seq[slot]++;
    if (drop != TR_NONE) {
        op->drop_seq = p->seq[drop]++;
        pl->frees++;
        return give_back(p, drop);
    }
    return true;
}

/* A slot for the block at r->addr; a stale object at that address is
 * dropped first. */
static bool place(planner *p, const raw *r, uint32_t *slot)
{
    uint32_t stale;
    if (map_take(&p->live, r->addr, &stale) && !emit(p, r, TR_NONE, stale))
        return false;
    if (!new_slot(p, slot) || !map_put(&p->live, r->addr, *slot))
        return false;
    p->plan->allocs++;
    p->plan->bytes += r->size;
    return true;
}

static bool plan_free(planner *p, const raw *r)
{
    uint32_t slot;
    if (!map_take(&p->live, r->addr, &slot)) {
        p->plan->unknown++;
        return true;
    }
    return emit(p, r, TR_NONE, slot);
}

/* realloc(old, size) -> addr.  glibc frees old for size 0 and returns NULL;
 * any other NULL is a failure that leaves old as it was. */
static bool plan_realloc(planner *p, const raw *r)
{
    uint32_t slot = TR_NONE, drop = TR_NONE;
    bool done = r->addr != 0 || (r->old != 0 && r->size == 0);
    if (!done) {
        p->plan->failed++;
        return true;
    }
    if (r->old != 0 && !map_take(&p->live, r->old, &drop))
        p->plan->unknown++;
    if (r->addr != 0 && !place(p, r, &slot))
        return false;
    return (slot == TR_NONE && drop == TR_NONE) || emit(p, r, slot, drop);
}

static bool plan_one(planner *p, const raw *r)
{
    uint32_t slot;
    if (r->op == HS_TRACE_FREE)
        return plan_free(p, r);
    if (r->op == HS_TRACE_REALLOC)
        return plan_realloc(p, r);
    if (r->addr == 0) {
        p->plan->failed++;
        return true;
    }
    return place(p, r, &slot) && emit(p, r, slot, TR_NONE);
}

static bool plan_all(tr_plan *pl, const raw *v, size_t len)
{
    planner p = {.plan = pl, .t0 = len > 0 ? v[0].t : 0};
    bool ok = true;
    for (size_t i = 0; i < len && ok; i++)
        ok = plan_one(&p, &v[i]);
    pl->span_ns = len > 0 ? v[len - 1].t - p.t0 : 0;
    free(p.live.keys);
    free(p.live.vals);
    free(p.free);
    free(p.seq);
    return ok;
}

/* ---- the plan ------------------------------------------------------------------------- */

void tr_plan_free(tr_plan *p)
{
    if (p == NULL)
        return;
    free(p->ops);
    free(p->path);
    free(p);
}

static tr_plan *plan_records(const char *path, hs_trace_reader *r, char *why, size_t n)
{
    char inner[256];
    raw *v = NULL;
    size_t len = 0;
    tr_plan *pl = calloc(1, sizeof *pl);
    if (pl == NULL || (pl->path = strdup(path)) == NULL) {
        say(why, n, "out of memory reading trace '%.200s'", path);
    } else if (read_all(r, &v, &len, inner, sizeof inner) != 0) {
        say(why, n, "trace '%.200s': %s", path, inner);
    } else {
        qsort(v, len, sizeof *v, cmp_raw);
        pl->records = len;
        pl->nthreads = hs_trace_threads(r);
        if (plan_all(pl, v, len)) {
            free(v);
            return pl;
        }
        say(why, n, "out of memory planning the replay of trace '%.200s'", path);
    }
    free(v);
    tr_plan_free(pl);
    return NULL;
}

tr_plan *tr_plan_load(const char *path, char *why, size_t n)
{
    char inner[512];
    hs_trace_reader *r = hs_trace_open(path, inner, sizeof inner);
    if (r == NULL) {
        say(why, n, "trace '%.200s': %s", path, inner);
        return NULL;
    }
    tr_plan *pl = plan_records(path, r, why, n);
    hs_trace_close(r);
    return pl;
}
