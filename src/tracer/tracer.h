/*
 * tracer.h — between the interposed allocator functions (preload.c) and the
 * recorder that buffers and writes their records (recorder.c).
 *
 * Internal to libheapscope-trace.so.  A recorded call goes:
 *
 *   if (!rec_enter())            // off, not yet set up, or a call made from
 *       return real(...);        // inside the tracer or another traced call
 *   t = rec_now();               // before free, after an allocation
 *   ... the real call ...
 *   rec_leave(&call);            // append to the thread's buffer
 *
 * rec_enter marks the thread busy until rec_leave, so whatever the real
 * allocator or the recorder itself allocates meanwhile passes through
 * unrecorded, and nothing recurses.
 */
#ifndef HS_TRACER_TRACER_H
#define HS_TRACER_TRACER_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rec_call {
    uint8_t op; /* hs_trace_op */
    uint64_t t; /* rec_now() */
    uint64_t old, align, size, addr;
} rec_call;

/* True when this call is to be recorded; the thread is then busy until
 * rec_leave.  Sets the recorder up on the first call. */
bool rec_enter(void);
void rec_leave(const rec_call *c);
/* CLOCK_MONOTONIC in ns. */
uint64_t rec_now(void);
/* The process leaves by _exit: write what is buffered and the end block,
 * as exit() would, unless this is a vfork child sharing its parent's
 * memory (which must leave the parent's recorder alone). */
void rec_exit(void);

#endif
