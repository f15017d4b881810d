/*
 * prealloc.c — the same slices built by appending (sized=0) or sized up
 * front (sized=1).  Compare the two runs' GC cycles.
 *
 * Each step builds a slice of n 16-byte elements (n between len/2 and len),
 * one append at a time, checks every element and drops it:
 *   - sized=1: make([]pair, 0, n), one allocation of n elements;
 *   - sized=0: from a nil slice, and each append that finds the slice full
 *     grows it as Go's growslice does: double the capacity below 256
 *     elements, then 1.25x plus 192, the new capacity rounded up to what the
 *     allocator will hand out anyway (the size class, or whole pages), and
 *     the elements copied over.  Every outgrown array is garbage: about
 *     twice the bytes for short slices, up to five times for long ones.
 * The slice being built is rooted in the goroutine's slot 0.
 *
 * Checks: element i of step j holds (key, ~key) for the key of (P, j, i),
 * so an element lost in a copy or a reused array is caught.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#include <inttypes.h>
#include <string.h>

#define NS_PER_S 1000000000ULL
#define MAX_SMALL_NOSCAN (32 << 10) /* Go: maxSmallSize - mallocHeaderSize for noscan */
#define PAGE (8 << 10)
#define GROW_THRESHOLD 256

typedef struct pair {
    uint64_t key, check;
} pair;

enum { P_SIZED, P_LEN, P_STEPS };

static const wl_param params[] = {
    {"sized", WL_INT, 1, 0, 1, "1: make the slice its full size; 0: grow it by append"},
    {"len", WL_INT, 4096, 1, 1 << 24, "longest slice in elements of 16 bytes"},
    {"steps", WL_INT, 0, 0, 1000000000, "slices per P, then stop; 0: until the duration ends"},
};

typedef struct prealloc_shared {
    uint64_t slices, bytes, grows; /* atomic: each P adds its own at the end */
} prealloc_shared;

typedef struct slice {
    pair *ptr; /* also in the goroutine's slot 0 */
    size_t len, cap;
} slice;

typedef struct prealloc_p {
    wl_rand rng;
    uint64_t tag;
    uint64_t bytes, grows;
} prealloc_p;

/* Go's roundupsize for a pointer-free object. */
static size_t roundupsize(size_t size)
{
    if (size <= MAX_SMALL_NOSCAN)
        return hs_class_to_size(hs_size_to_class(size));
    return (size + PAGE - 1) & ~(size_t)(PAGE - 1);
}

/* Go's nextslicecap. */
static size_t nextslicecap(size_t newlen, size_t oldcap)
{
    size_t newcap = oldcap, doublecap = 2 * oldcap;
    if (newlen > doublecap)
        return newlen;
    if (oldcap < GROW_THRESHOLD)
        return doublecap;
    while (newcap < newlen)
        newcap += (newcap + 3 * GROW_THRESHOLD) >> 2;
    return newcap;
}

/* A new array of at least cap elements for s (contents copied); false when
 * out of memory. */
static bool realloc_slice(mut_ctx *c, prealloc_p *st, slice *s, size_t cap, void **slot)
{
    size_t bytes = roundupsize(cap * sizeof(pair));
    pair *p = mut_alloc(c, bytes, NULL);
    if (p == NULL)
        return false;
    if (s->len > 0)
        memcpy(p, s->ptr, s->len * sizeof(pair));
    s->ptr = p;
    s->cap = bytes / sizeof(pair);
    *slot = p;
    st->bytes += bytes;
    return true;
}

static bool append(mut_ctx *c, prealloc_p *st, slice *s, pair v, void **slot)
{
    if (s->len == s->cap) {
        st->grows++;
        if (!realloc_slice(c, st, s, nextslicecap(s->len + 1, s->cap), slot))
            return false;
    }
    s->ptr[s->len++] = v;
    return true;
}

static bool build_and_check(mut_ctx *c, prealloc_p *st, uint64_t j, void **slot)
{
    uint64_t max = (uint64_t)c->values[P_LEN];
    size_t n = (size_t)(max / 2 + wl_rand_below(&st->rng, max - max / 2) + 1);
    slice s = {NULL, 0, 0};
    if (c->values[P_SIZED] && !realloc_slice(c, st, &s, n, slot))
        return false;
    for (size_t i = 0; i < n; i++) {
        uint64_t key = wl_key(st->tag, j, i);
        if (!append(c, st, &s, (pair){key, ~key}, slot))
            return false;
    }
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (s.ptr[i].key != wl_key(st->tag, j, i) || s.ptr[i].check != ~s.ptr[i].key)
            bad = i;
    *slot = NULL;
    return mut_check(c, bad == n, "element %zu of slice %" PRIu64, bad, j);
}

static void prealloc_run(mut_ctx *c)
{
    prealloc_p st = {.tag = (uint64_t)c->id << 48 | 0x736c6963}; /* "slic" */
    wl_rand_seed(&st.rng, c->seed, c->id);
    void **slot = &hs_g_slots(c->g)[0];
    uint64_t steps = (uint64_t)c->values[P_STEPS];
    for (uint64_t j = 0; (steps == 0 || j < steps) && mut_poll(c); j++) {
        if (!build_and_check(c, &st, j, slot))
            break;
        c->ops++;
    }
    prealloc_shared *sh = c->shared;
    __atomic_fetch_add(&sh->slices, c->ops, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->bytes, st.bytes, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->grows, st.grows, __ATOMIC_RELAXED);
}

static void prealloc_report(const void *shared, const int64_t *values, FILE *out)
{
    const prealloc_shared *sh = shared;
    fprintf(out,
            "prealloc: sized=%d: %" PRIu64 " slices allocated %.1f MiB (%.0f bytes a slice, %.1f "
            "arrays a slice)\n",
            (int)values[P_SIZED], sh->slices, (double)sh->bytes / (1 << 20),
            sh->slices ? (double)sh->bytes / (double)sh->slices : 0.0,
            sh->slices
                ? (double)(sh->grows + (values[P_SIZED] ? sh->slices : 0)) / (double)sh->slices
                : 0.0);
}

const wl_scenario wl_prealloc = {
    .name = "prealloc",
    .help = "the same slices sized up front (sized=1) or grown by append (sized=0)",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 10 * NS_PER_S,
    .shared_size = sizeof(prealloc_shared),
    .nglobals = wl_nglobals_none,
    .nslots = wl_nslots_one,
    .init = NULL,
    .run = prealloc_run,
    .report = prealloc_report,
};
