/*
 * trace_plan.h — a real program's allocation trace, turned into what the
 * trace scenario replays (trace_plan.c reads and plans; trace.c replays).
 *
 * The plan is a list of operations in time order.  Each names pointer slots
 * of the replay's table rather than addresses: an operation may put a new
 * object into a slot, drop the object a slot holds, or both (a realloc: the
 * new object comes first, the old one is dropped after, as when Go grows a
 * slice by copying).  A slot is reused once its object is dropped, so the
 * table holds as many slots as the program ever had blocks live at once.
 *
 * So that operations of different threads may run on different Ps, each
 * operation also says how many operations on each of its slots come before
 * it (slot_seq, drop_seq): a P runs it once the slot's counter reaches that.
 */
#ifndef HS_WORKLOAD_TRACE_PLAN_H
#define HS_WORKLOAD_TRACE_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TR_NONE UINT32_MAX

typedef struct tr_op {
    uint64_t t_ns;     /* since the trace's first record */
    uint64_t size;     /* bytes of the new object */
    uint32_t thread;   /* the traced thread that made the call */
    uint32_t slot;     /* where the new object goes; TR_NONE: no new object */
    uint32_t drop;     /* the slot whose object is dropped; TR_NONE: none */
    uint32_t slot_seq; /* operations on slot before this one */
    uint32_t drop_seq; /* operations on drop before this one */
} tr_op;

typedef struct tr_plan {
    char *path;
    tr_op *ops;
    size_t nops;
    uint32_t nslots;   /* the most blocks live at once */
    uint32_t nthreads; /* threads in the trace */
    uint64_t records;  /* records in the file */
    uint64_t allocs;   /* blocks allocated (records that returned one) */
    uint64_t bytes;    /* their sizes, summed */
    uint64_t frees;    /* blocks given back: free, realloc, or their address handed out again */
    uint64_t unknown;  /* free or realloc of a block the trace never allocated */
    uint64_t failed;   /* allocations that returned NULL */
    uint64_t span_ns;  /* from the first record to the last */
} tr_plan;

/* Read, check and plan the trace at path.  NULL on failure, with one
 * sentence in why (for a bad file: naming the byte offset). */
tr_plan *tr_plan_load(const char *path, char *why, size_t n);
void tr_plan_free(tr_plan *p);

#endif
