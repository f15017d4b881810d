/*
 * check.c — is this block of bytes a snapshot this build understands?
 *
 * A snapshot read from a recording, or handed over by another process, is
 * checked before anything follows its offsets:
 *   1. the header fits, and its version is the one this build reads (another
 *      is refused by name: "snapshot version 7 is newer than ...");
 *   2. its size is the number of bytes given, and at least a header;
 *   3. every array lies inside the snapshot, aligned for its element type;
 *   4. every index stored in the arrays points inside its target array: a
 *      span's pages and cells, the page-to-span map, the mcache spans.
 * The answer is one sentence, for an error message, written into the
 * caller's buffer; NULL means valid.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "heapscope/snapshot.h"

/* Where the sentence goes. */
typedef struct verdict {
    char *why;
    size_t n;
} verdict;

static const char *fail(const verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *fail(const verdict *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->why, v->n, fmt, ap);
    va_end(ap);
    return v->why;
}

static const char *check_header(const verdict *v, const hs_snapshot *s, size_t bytes)
{
    if (bytes < 2 * sizeof(uint32_t))
        return fail(v, "%zu bytes are too few to be a snapshot", bytes);
    if (s->version > HS_SNAPSHOT_VERSION)
        return fail(v, "snapshot version %u is newer than this heapscope understands (%d)",
                    s->version, HS_SNAPSHOT_VERSION);
    if (s->version == 0)
        return fail(v, "snapshot version 0 is not a version heapscope ever wrote");
    if (s->version < HS_SNAPSHOT_VERSION) /* version 2 changed the P records */
        return fail(v, "snapshot version %u is older than this heapscope reads (%d)", s->version,
                    HS_SNAPSHOT_VERSION);
    if (bytes < sizeof(hs_snapshot) || s->size < sizeof(hs_snapshot))
        return fail(v, "a snapshot header is %zu bytes, but this one has only %zu",
                    sizeof(hs_snapshot), bytes < s->size ? bytes : (size_t)s->size);
    if (s->size != bytes)
        return fail(v, "the snapshot says it is %u bytes long, but %zu bytes were given", s->size,
                    bytes);
    if (s->source != HS_SOURCE_RUNTIME && s->source != HS_SOURCE_ATTACH)
        return fail(v, "the snapshot's source %u is neither the runtime (1) nor attach (2)",
                    s->source);
    if (s->nprocs > HS_SNAP_MAX_PROCS)
        return fail(v, "the snapshot has %u Ps; at most %d fit", s->nprocs, HS_SNAP_MAX_PROCS);
    if (memchr(s->workload, '\0', sizeof(s->workload)) == NULL)
        return fail(v, "the snapshot's workload name is not terminated");
    return NULL;
}

/* Is [off, off + n * elem) inside the snapshot, and off aligned to align? */
static const char *check_array(const verdict *v, const hs_snapshot *s, const char *name,
                               uint32_t off, uint64_t n, size_t elem, size_t align)
{
    uint64_t end = (uint64_t)off + n * elem;
    if (off % align != 0)
        return fail(v, "the %s (offset %u) is not aligned to %zu bytes", name, off, align);
    if (off < sizeof(hs_snapshot) && n > 0)
        return fail(v, "the %s (offset %u) overlaps the snapshot header", name, off);
    if (n > s->size || end > s->size)
        return fail(v,
                    "the %s (offset %u, %llu entries of %zu bytes) runs past the end of the "
                    "snapshot (%u bytes)",
                    name, off, (unsigned long long)n, elem, s->size);
    return NULL;
}

static const char *check_arrays(const verdict *v, const hs_snapshot *s)
{
    const char *e;
    if ((e = check_array(v, s, "central list table", s->central_off, HS_SNAP_NUM_SPAN_CLASSES,
                         sizeof(hs_snap_central), 8)) ||
        (e = check_array(v, s, "P table", s->procs_off, s->nprocs, sizeof(hs_snap_p), 8)) ||
        (e = check_array(v, s, "arena table", s->arenas_off, s->narenas, sizeof(hs_snap_arena),
                         8)) ||
        (e = check_array(v, s, "page array", s->pages_off, s->npages, 1, 1)) ||
        (e = check_array(v, s, "page-to-span map", s->page_span_off, s->npages, 4, 4)) ||
        (e = check_array(v, s, "event list", s->events_off, s->nevents, sizeof(hs_snap_event),
                         8)) ||
        (e = check_array(v, s, "span table", s->spans_off, s->nspans, sizeof(hs_snap_span), 8)) ||
        (e = check_array(v, s, "cell array", s->cells_off, s->ncell_bytes, 1, 1)))
        return e;
    return NULL;
}

static const char *check_spans(const verdict *v, const hs_snapshot *s)
{
    const hs_snap_span *sp = hs_snap_spans(s);
    for (uint32_t i = 0; i < s->nspans; i++) {
        if ((uint64_t)sp[i].page + sp[i].npages > s->npages || sp[i].npages == 0)
            return fail(v, "span %u (pages %u..%u) lies outside the page array (%u pages)", i,
                        sp[i].page, sp[i].page + sp[i].npages, s->npages);
        if ((uint64_t)sp[i].cells + (sp[i].nelems + 3u) / 4 > s->ncell_bytes)
            return fail(v, "span %u's %u cells (at byte %u) run past the cell array (%u bytes)", i,
                        sp[i].nelems, sp[i].cells, s->ncell_bytes);
        if (sp[i].alloc_count > sp[i].nelems || sp[i].freeindex > sp[i].nelems)
            return fail(v, "span %u has %u objects allocated of %u (free index %u)", i,
                        sp[i].alloc_count, sp[i].nelems, sp[i].freeindex);
    }
    return NULL;
}

static const char *check_indices(const verdict *v, const hs_snapshot *s)
{
    const int32_t *ps = hs_snap_page_span(s);
    for (uint32_t i = 0; i < s->npages; i++)
        if (ps[i] < -1 || ps[i] >= (int64_t)s->nspans)
            return fail(v, "page %u maps to span %d, but there are %u spans", i, ps[i], s->nspans);
    const hs_snap_arena *ar = hs_snap_arenas(s);
    for (uint32_t i = 0; i < s->narenas; i++)
        if ((uint64_t)ar[i].first_page + HS_SNAP_PAGES_PER_ARENA > s->npages)
            return fail(v, "arena %u's pages start at %u, past the page array (%u pages)", i,
                        ar[i].first_page, s->npages);
    const hs_snap_p *pp = hs_snap_procs(s);
    for (uint32_t p = 0; p < s->nprocs; p++)
        for (int c = 0; c < HS_SNAP_NUM_SPAN_CLASSES; c++)
            if (pp[p].mcache_span[c] < -1 || pp[p].mcache_span[c] >= (int64_t)s->nspans)
                return fail(v, "P %u caches span %d for class %d, but there are %u spans", p,
                            pp[p].mcache_span[c], c, s->nspans);
    return NULL;
}

const char *hs_snapshot_check(const hs_snapshot *s, size_t bytes, char *why, size_t n)
{
    char local[1];
    verdict v = {why != NULL && n > 0 ? why : local, why != NULL && n > 0 ? n : sizeof(local)};
    const char *e;
    if (s == NULL)
        e = fail(&v, "there is no snapshot (NULL)");
    else if (!(e = check_header(&v, s, bytes)) && !(e = check_arrays(&v, s)) &&
             !(e = check_spans(&v, s)))
        e = check_indices(&v, s);
    if (e != NULL && v.why == local)
        return "the snapshot is not valid"; /* no buffer for the details */
    return e;
}
