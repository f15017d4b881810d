/*
 * attachint.h — the parts of the attach reader, for src/attach/ only.
 *
 *   goelf.c    the program's binary: Go version (.go.buildinfo), build id,
 *              entry point, whether it has DWARF; the PIE load bias
 *   godwarf.c  the table of globals, constants and fields resolved from DWARF
 *   procmem.c  reads of the program's memory: exact batches and a page cache
 *   freeze.c   stopping every thread of the program for a moment (ptrace)
 *   heapread.c one frame of the program's heap, read into plain records
 *   fill.c     those records as an hs_snapshot
 *   attach.c   the source: open, the frame thread, the publisher
 */
#ifndef HS_ATTACH_ATTACHINT_H
#define HS_ATTACH_ATTACHINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "heapscope/attach.h"

/* ---- the binary (goelf.c) ------------------------------------------------------ */

typedef struct go_binary {
    char version[32];   /* "go1.19.8" */
    int major, minor;   /* 1, 19 */
    char build_id[128]; /* .note.go.buildid's contents, "" if none */
    uint64_t entry;     /* e_entry */
    bool pie;           /* ET_DYN */
    bool has_dwarf;
    bool link_stripped; /* built with -ldflags -s or -w (its build settings say so) */
} go_binary;

/* Read path's ELF (shown_as names it in messages).  0; HS_ATTACH_BAD with
 * why; or -EPERM when it may not be opened (why says so too). */
int go_binary_read(const char *path, const char *shown_as, go_binary *b, char *why, size_t n);
/* AT_ENTRY of pid from /proc/PID/auxv; 0 when unknown. */
uint64_t go_auxv_entry(pid_t pid);

/* ---- the table (godwarf.c) ----------------------------------------------------- */

/* A field: its offset in its struct, its width, and for an array the width
 * of one element.  ok is false for an optional field the binary lacks. */
typedef struct go_field {
    uint32_t off, size, elem;
    bool ok;
} go_field;

/* A global: its address in the running program (load bias added). */
typedef struct go_var {
    uint64_t addr;
    uint32_t size;
    bool ok;
} go_var;

typedef struct go_layout {
    /* constants */
    uint64_t page_size, arena_bytes, arena_l1_bits, arena_l2_bits, arena_base;
    /* globals */
    go_var mheap, allp, gcphase, work, memstats, gc_controller, emptymspan, gomaxprocs;
    go_var class_size, class_npages; /* optional */
    /* runtime.mheap */
    go_field mh_sweepgen, mh_arenas, mh_all_arenas;
    /* the page allocator (optional: without it free pages are not told from
     * released or never-used ones) */
    uint64_t heap_addr_bits, log_chunk_bytes;
    go_field mh_chunks, mh_in_use, pd_alloc, pd_scavenged;
    uint32_t pd_size;
    /* runtime.heapArena */
    go_field ha_spans, ha_page_in_use, ha_inline_marks;
    /* runtime.mspan */
    go_field sp_start, sp_npages, sp_freeindex, sp_nelems, sp_alloc_count, sp_spanclass, sp_state,
        sp_sweepgen, sp_elemsize, sp_alloc_bits, sp_gcmark_bits;
    uint32_t span_size;
    /* runtime.mcache and runtime.p */
    go_field mc_alloc, mc_tiny, mc_tinyoffset, mc_tiny_allocs;
    go_field p_id, p_status, p_mcache, p_worker_mode;
    /* the collector: work, memstats, gcController */
    go_field wk_cycles;
    go_field ms_numgc, ms_numforcedgc, ms_pause_total, ms_pause_ns;
    /* memstats.heapStats.stats: a ring of 3 runtime.heapStatsDelta whose sum
     * is the allocation counters (optional) */
    go_field ms_heap_stats, hd_tiny, hd_large_alloc, hd_large_count, hd_small_count, hd_large_free,
        hd_large_free_count, hd_small_free;
    go_field gc_heap_live, gc_heap_marked, gc_heap_goal, gc_percent;
    /* the mark's progress as the pacer reckons it (optional): the scan work
     * done this cycle against what the last cycle scanned */
    go_field gc_heap_scan_work, gc_stack_scan_work, gc_globals_scan_work, gc_last_heap_scan,
        gc_last_stack_scan, gc_globals_scan;
    /* runtime.spanInlineMarkBits (Go 1.25 and later; optional): marks are
     * the objects seen, scans those whose scan has begun */
    go_field im_marks, im_scans;
    uint32_t im_size;
    /* and its owned byte: not 0 while the span waits in a span queue,
     * spanScanManyMark or more once a second mark came meanwhile */
    go_field im_owned;
    uint64_t many_mark;
} go_layout;

/* Resolve every entry of the table from path's DWARF, adding bias to the
 * globals.  0, or HS_ATTACH_BAD with why naming what is missing. */
int go_layout_resolve(const char *path, uint64_t bias, go_layout *l, char *why, size_t n);

/* A field's value in a copy of its struct: an unsigned integer of its width
 * (little-endian; a wider field gives its low 8 bytes).  Inline: a frame
 * reads a dozen fields of each of 100,000 spans. */
static inline uint64_t go_get(const void *base, go_field f)
{
    const unsigned char *p = (const unsigned char *)base + f.off;
    uint8_t v1;
    uint16_t v2;
    uint32_t v4;
    uint64_t v8;
    switch (f.size) {
    case 1:
        memcpy(&v1, p, 1);
        return v1;
    case 2:
        memcpy(&v2, p, 2);
        return v2;
    case 4:
        memcpy(&v4, p, 4);
        return v4;
    default:
        memcpy(&v8, p, 8);
        return v8;
    }
}

/* ---- memory (procmem.c) ------------------------------------------------------- */

/* A batch of exact reads; a read that fails leaves zeros and is counted. */
typedef struct pm_req {
    uint64_t addr;
    void *dst;
    size_t len;
} pm_req;

typedef struct pm_batch {
    pm_req *req;
    size_t n, cap;
    size_t failed; /* after pm_batch_run */
} pm_batch;

void pm_batch_add(pm_batch *b, uint64_t addr, void *dst, size_t len);
/* 0, or -errno: -ESRCH when the program is gone, -ENOMEM, -EPERM. */
int pm_batch_run(pm_batch *b, pid_t pid);
void pm_batch_reset(pm_batch *b);
void pm_batch_free(pm_batch *b);

/* The 4 KiB pages covering many small scattered reads, each read once. */
typedef struct pm_pages pm_pages;
pm_pages *pm_pages_new(void);
void pm_pages_free(pm_pages *pc);
void pm_pages_reset(pm_pages *pc);
/* Ask for [addr, addr + len); false when out of memory. */
bool pm_pages_want(pm_pages *pc, uint64_t addr, size_t len);
int pm_pages_fetch(pm_pages *pc, pid_t pid); /* as pm_batch_run */
/* The bytes, from the fetched pages; false if any page could not be read. */
bool pm_pages_get(const pm_pages *pc, uint64_t addr, void *dst, size_t len);
/* The same without a copy: a pointer into the cache, or into tmp (len
 * bytes) when the bytes cross a page; NULL if a page could not be read. */
const void *pm_pages_view(const pm_pages *pc, uint64_t addr, size_t len, void *tmp);

/* ---- freezing (freeze.c) ------------------------------------------------------ */

typedef struct freezer {
    pid_t pid;
    pid_t *tids;
    int *sig; /* a signal a thread stopped with, given back when it goes */
    size_t n, cap;
} freezer;

/* Stop every thread of f->pid.  0, or -errno (what stopped nothing: every
 * thread already stopped has been let go). */
int freeze_stop(freezer *f);
/* Let every stopped thread go. */
void freeze_release(freezer *f);
void freeze_free(freezer *f);

/* ---- one frame (heapread.c) -------------------------------------------------- */

#define GO_NUM_SPAN_CLASSES 136

/* One in-use span as read. */
typedef struct rspan {
    uint64_t addr; /* of the mspan */
    uint64_t start;
    uint32_t npages, page; /* page: index in the snapshot's page array */
    uint32_t elemsize, sweepgen;
    uint16_t nelems, alloc_count, freeindex;
    uint8_t spanclass;
    bool torn;         /* its counts do not agree with its bits */
    bool inline_marks; /* Go 1.25+: marks at the end of the span */
    bool scans_read;   /* and its inline scans were read (a scan span, in mark) */
    uint8_t owned;     /* and its owned byte (0 when not read) */
    uint64_t alloc_bits, gcmark_bits;
    /* offset in the frame's bit buffer of 4 runs of (nelems + 7) / 8 bytes:
     * allocBits, gcmarkBits, the inline marks and the inline scans (zero
     * where not read) */
    uint32_t bits;
    int16_t cached_by; /* P id, or -1 */
} rspan;

typedef struct rproc {
    int32_t id;
    uint64_t status, worker_mode; /* _Pidle.., gcMarkWorkerMode */
    uint64_t mcache, tiny, tinyoffset, tiny_allocs;
    uint64_t alloc[GO_NUM_SPAN_CLASSES]; /* mcache.alloc as read */
    int32_t span[GO_NUM_SPAN_CLASSES];   /* the same as indices in the frame's spans, or -1 */
} rproc;

#define CHUNKS_PER_ARENA 16 /* 4 MiB chunks of the page allocator */

typedef struct rarena {
    uint64_t base, ptr;                      /* ptr: the heapArena */
    uint8_t palloc[CHUNKS_PER_ARENA][2][64]; /* each chunk's alloc and scavenged bits */
    bool have_palloc;
    uint8_t in_use[1024];
    uint8_t inline_marks[1024];
    uint64_t *spans; /* 8192 */
} rarena;

/* Everything read in one frame. */
typedef struct rframe {
    uint32_t sweepgen, gcphase, cycles, numgc, numforcedgc, gomaxprocs;
    int32_t gogc;
    uint64_t heap_live, heap_marked, heap_goal, pause_total;
    uint64_t scan_done, scan_expected; /* 0 when not read */
    uint64_t many_mark; /* runtime.spanScanManyMark; 0 when unknown */
    uint64_t pause_ns[256];
    uint64_t mallocs, frees, total_alloc, tiny_allocs; /* 0 without heapStats */
    uint64_t grown[64][2]; /* the page allocator's inUse ranges: [base, limit) */
    size_t ngrown;
    bool have_grown;
    uint16_t class_size[68];
    uint8_t class_npages[68];
    rarena *arenas;
    size_t narenas, arenas_cap;
    rspan *spans;
    size_t nspans, spans_cap;
    uint8_t *bits;
    size_t nbits, bits_cap;
    rproc *procs;
    size_t nprocs, procs_cap;
} rframe;

/* The reader's reusable state. */
typedef struct heapreader {
    pid_t pid;
    const go_layout *l;
    pm_batch batch;
    pm_pages *pages;
    uint8_t *tmp; /* one struct's bytes */
    size_t tmp_cap;
    bool frozen; /* every thread is stopped while a frame is read */
} heapreader;

/* Read one frame.  0, or -errno (-ESRCH: the program is gone). */
int heap_read(heapreader *r, rframe *f);
void rframe_free(rframe *f);

/* ---- the snapshot (fill.c) --------------------------------------------------- */

typedef struct fill_ctx {
    const char *label; /* the snapshot's workload text */
    uint64_t seq;
    int64_t t_ns;
    bool frozen;
    int64_t pause_ns, frame_ns;
    uint32_t target_pid;
    const hs_snapshot *prev; /* the last frame published, for torn spans; or NULL */
    /* events, kept between frames by the caller */
    hs_snap_event *events;
    size_t nevents;
    uint64_t events_lost;
} fill_ctx;

/* The hs_gcphase value of f (heapscope/runtime.h's numbering, which the
 * snapshot's phase uses): Go's gcphase, with _GCoff shown as sweep while
 * spans are left to sweep. */
enum { PHASE_OFF = 0, PHASE_MARK = 2, PHASE_MARK_TERMINATION = 3, PHASE_SWEEP = 4 };
uint32_t frame_phase(const rframe *f);

/* The cells of r (hs_cell, 4 a byte, low bits first) from its 4 runs of
 * bits at bits (rspan.bits' layout), as fill.c's opening comment decides. */
void span_cells(const rspan *r, const uint8_t *bits, uint8_t *cells);

/* Why process pid may not be read, in one sentence, for a heapscope that
 * runs as root (euid 0) or not, holds CAP_SYS_PTRACE or not, under Yama's
 * ptrace_scope (-1: no Yama): the advice fits who is asking. */
void attach_permission_sentence(char *why, size_t n, int pid, int scope, bool root,
                                bool cap_ptrace);

/* The snapshot of f, reserved from and published to pub; returns its torn
 * span count, or -1 when out of memory. */
long fill_publish(const rframe *f, fill_ctx *c, hs_snapshot_publisher *pub);

#endif
