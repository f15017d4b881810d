/*
 * fixalloc.c — a free-list allocator for fixed-size runtime metadata
 * (Go: mfixalloc.go).
 *
 * mspan structures and span bitmaps are never allocated from the heap they
 * describe.  A fixalloc carves objects of one size out of 64 KiB chunks mapped
 * from the OS and keeps freed ones on an intrusive free list; chunks go back to
 * the OS only when the runtime is destroyed.  Objects come back zeroed.
 *
 * Invariants: inuse <= sys; every free-list entry lies in one of chunks[].
 * Not thread-safe: the owner (mheap) calls it under mheap.lock.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime2.h"

enum { fixallocChunk = 64 << 10 };

void fixalloc_init(fixalloc *f, size_t size, const hs_sysops *os)
{
    memset(f, 0, sizeof(*f));
    f->size = size < sizeof(void *) ? sizeof(void *) : (size + 7) & ~(size_t)7;
    f->os = os;
}

static bool fixalloc_newChunk(fixalloc *f)
{
    if (f->nchunks == f->capchunks) {
        size_t cap = f->capchunks ? f->capchunks * 2 : 16;
        void **c = realloc(f->chunks, cap * sizeof(*c));
        if (c == NULL)
            return false;
        f->chunks = c;
        f->capchunks = cap;
    }
    size_t n = f->size > fixallocChunk ? f->size : fixallocChunk;
    void *v = sysReserveAligned(f->os, 0, n, 4096);
    if (v == NULL)
        return false;
    f->chunks[f->nchunks++] = v;
    f->chunk = v;
    f->nchunk = n;
    f->sys += n;
    return true;
}

void *fixalloc_alloc(fixalloc *f)
{
    void *v;
    if (f->list != NULL) {
        v = f->list;
        f->list = *(void **)v;
        memset(v, 0, f->size);
    } else {
        if (f->nchunk < f->size && !fixalloc_newChunk(f))
            return NULL;
        v = f->chunk; /* fresh from the OS: already zero */
        f->chunk += f->size;
        f->nchunk -= f->size;
    }
    f->inuse += f->size;
    return v;
}

void fixalloc_free(fixalloc *f, void *p)
{
    f->inuse -= f->size;
    *(void **)p = f->list;
    f->list = p;
}

void fixalloc_destroy(fixalloc *f)
{
    size_t n = f->size > fixallocChunk ? f->size : fixallocChunk;
    for (size_t i = 0; i < f->nchunks; i++)
        sysFree(f->os, f->chunks[i], n);
    free(f->chunks);
    memset(f, 0, sizeof(*f));
}
