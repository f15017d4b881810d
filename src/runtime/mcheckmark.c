/*
 * mcheckmark.c — the checkmark verifier (Go: mcheckmark.go, GODEBUG=gccheckmark=1).
 *
 * After mark, with the world stopped, mark everything again from the roots,
 * this time alone and without any concurrency, into separate checkmark bits.
 * Every object this second marking reaches must already carry the concurrent
 * cycle's mark bit; an object reachable but white would be freed by the coming
 * sweep while still in use.  On such an object the verifier prints it and the
 * path of pointers that leads to it from a root, and reports failure (the
 * caller exits 1).
 *
 * In Green Tea mode the verifier also checks that marking left no gray object
 * and no queued span in any span with inline mark bits: every object seen was
 * scanned, or its span was queued again and scanned.
 *
 * The traversal keeps every visited object in a trail of (object, parent)
 * pairs so the path can be printed; that costs 16 bytes per reachable object,
 * only while verifying.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime2.h"

typedef struct trailent {
    uintptr_t obj;
    size_t parent; /* index into the trail, or SIZE_MAX for a root */
    const char *root;
    size_t rootIndex;
} trailent;

typedef struct checkmark {
    hs_runtime *rt;
    trailent *trail;
    size_t n, cap, next;
    bool failed;
} checkmark;

static bool cm_clearSpan(mspan *s, void *ctx)
{
    (void)ctx;
    int words = spanClass_sizeclass(s->spanclass) == 0 ? 1 : mspan_bitWords(s);
    memset(s->checkmarkBits, 0, (size_t)words * sizeof(uint64_t));
    return true;
}

static void cm_clear(hs_runtime *rt)
{
    mheap_forEachSpan(&rt->heap, cm_clearSpan, NULL);
}

static void cm_report(checkmark *cm, size_t at, mspan *s)
{
    fprintf(stderr, "heapscope: checkmark: object %#lx (%zu B, span class %d) is reachable "
                    "but was not marked; the path to it:\n  ",
            (unsigned long)cm->trail[at].obj, (size_t)s->elemsize, s->spanclass);
    size_t path[64], n = 0; /* root first; a deeper path prints its last 64 steps */
    for (size_t i = at; i != SIZE_MAX && n < 64; i = cm->trail[i].parent)
        path[n++] = i;
    const trailent *root = &cm->trail[path[n - 1]];
    if (root->parent == SIZE_MAX)
        fprintf(stderr, "%s[%zu]", root->root, root->rootIndex);
    else
        fputs("...", stderr);
    while (n > 0)
        fprintf(stderr, " -> %#lx", (unsigned long)cm->trail[path[--n]].obj);
    fputs(" (unmarked)\n", stderr);
    cm->failed = true;
}

/* Visit p (reached from trail[parent] or a root); queue it if new. */
static void cm_visit(checkmark *cm, uintptr_t p, size_t parent, const char *root, size_t ri)
{
    mspan *s = spanOfHeap(&cm->rt->heap, p);
    if (s == NULL)
        return;
    uintptr_t idx = spanClass_sizeclass(s->spanclass) == 0 ? 0 : mspan_objIndex(s, p);
    if (bits_isset(s->checkmarkBits, idx))
        return;
    s->checkmarkBits[idx / 64] |= (uint64_t)1 << (idx % 64);
    if (cm->n == cm->cap) {
        cm->cap = cm->cap ? cm->cap * 2 : 4096;
        trailent *t = realloc(cm->trail, cm->cap * sizeof(*t));
        if (t == NULL)
            hs_throw("checkmark: out of memory for the trail");
        cm->trail = t;
    }
    uintptr_t base = s->startAddr + idx * s->elemsize;
    cm->trail[cm->n] = (trailent){base, parent, root, ri};
    if (!mspan_isMarked(s, idx) && !cm->failed)
        cm_report(cm, cm->n, s);
    cm->n++;
}

static void cm_scanTyped(checkmark *cm, const hs_type *typ, uintptr_t base, uintptr_t len,
                         size_t self)
{
    if (typ == NULL || typ->size == 0)
        return;
    for (uintptr_t off = 0; off + 8 <= len; off += 8) {
        uintptr_t tw = (off % typ->size) / 8;
        if (tw * 8 < typ->ptrbytes && ((typ->gcdata[tw / 8] >> (tw % 8)) & 1))
            cm_visit(cm, *(uintptr_t *)(base + off), self, NULL, 0);
    }
}

static void cm_scan(checkmark *cm, size_t self)
{
    uintptr_t b = cm->trail[self].obj;
    mspan *s = spanOfHeap(&cm->rt->heap, b);
    if (spanClass_noscan(s->spanclass))
        return;
    if (spanClass_sizeclass(s->spanclass) == 0) {
        cm_scanTyped(cm, __atomic_load_n(&s->largeType, __ATOMIC_RELAXED), b,
                     atomic_load_relaxed_uptr(&s->limit) - b, self);
    } else if (heapBitsInSpan(s->elemsize)) {
        const uint64_t *hb = mspan_heapBits(s, cm->rt->cfg.gcmode);
        uintptr_t w0 = (b - s->startAddr) / 8;
        for (uintptr_t i = 0; i < s->elemsize / 8; i++)
            if (bits_isset(hb, w0 + i))
                cm_visit(cm, *(uintptr_t *)(b + i * 8), self, NULL, 0);
    } else {
        cm_scanTyped(cm, *(const hs_type **)b, b + mallocHeaderSize, s->elemsize - mallocHeaderSize,
                     self);
    }
}

bool gcCheckmark(hs_runtime *rt)
{
    checkmark cm = {.rt = rt};
    cm_clear(rt);
    for (size_t i = 0; i < rt->cfg.nglobals; i++)
        cm_visit(&cm, (uintptr_t)rt->globals[i], SIZE_MAX, "global", i);
    for (int i = 0; i < rt->nprocs; i++) {
        size_t gi = 0;
        for (hs_g *g = rt->allp[i]->gs; g != NULL; g = g->next, gi++)
            for (size_t k = 0; k < g->nslots; k++)
                cm_visit(&cm, (uintptr_t)g->slots[k], SIZE_MAX, "goroutine stack slot", k);
    }
    for (int i = 0; i < rt->nprocs; i++)
        if (rt->allp[i]->mcache.tiny != 0)
            cm_visit(&cm, rt->allp[i]->mcache.tiny, SIZE_MAX, "tiny block of P", (size_t)i);
    while (cm.next < cm.n)
        cm_scan(&cm, cm.next++);
    free(cm.trail);
    if (rt->cfg.gcmode == HS_GC_GREENTEA && !gcCheckInlineMarks(rt))
        cm.failed = true;
    return !cm.failed;
}
