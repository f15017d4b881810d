/*
 * mem.h — the runtime's window on the operating system (Go: mem_linux.go).
 *
 * Everything the runtime asks of the OS goes through an hs_sysops table: reserve
 * address space, give it back, tell the kernel pages are unused (madvise), and
 * read the clock.  The default table is the real Linux one; tests pass their own
 * to make a reservation fail or to drive the clock by hand.  The table is
 * immutable after hs_runtime_new.  Besides the table, the runtime's own
 * threads say who they are (osThreadSetup).
 */
#ifndef HS_RUNTIME_MEM_H
#define HS_RUNTIME_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "heapscope/runtime.h"

/* Reserve n bytes of zeroed, readable and writable address space aligned to
 * align (a power of two, at least the OS page), preferring the address hint.
 * Pages cost nothing until touched.  NULL when the OS refuses. */
void *sysReserveAligned(const hs_sysops *sys, uintptr_t hint, size_t n, size_t align);
void sysFree(const hs_sysops *sys, void *v, size_t n);
/* Return [v, v+n) to the OS; the memory stays mapped and reads as zero after. */
void sysUnused(const hs_sysops *sys, void *v, size_t n);
int64_t nanotime(const hs_sysops *sys);

/* The runtime's threads and what they are to the OS scheduler. */
typedef enum osThreadKind {
    osThreadNormal, /* competes like a mutator (the collector, the scavenger) */
    /* Background work that Go runs only when a P is idle (the background
     * sweeper): nice 10, so it takes short and few time slices from the
     * mutators and a stop-the-world seldom waits for a mutator it pushed off
     * its CPU.  Not SCHED_IDLE: that would starve it whenever any other
     * process on the machine is busy, and sweeping would then fall entirely
     * to allocation and to the next cycle's start. */
    osThreadBackground,
} osThreadKind;

/* Name the calling thread (at most 15 bytes are kept) and set its kind;
 * failures are harmless and ignored. */
void osThreadSetup(const char *name, osThreadKind kind);

/* The real Linux implementation. */
extern const hs_sysops hs_sysops_linux;

#endif
