/*
 * fill.h — contents the workloads write into pointer-free objects and verify
 * later, so an object freed too early and handed out again is caught.
 *
 * Internal to src/workload/.  The bytes of an object are a function of a key
 * (what the scenario knows about the object: P, index, generation) and of
 * their offset: word j of the pattern is wl_splitmix64(key + j).  Objects up
 * to WL_FILL_FULL bytes are written and checked whole; larger ones in the
 * first WL_FILL_STAMP bytes of every 4 KiB page and in their last
 * WL_FILL_STAMP bytes, which touches every page (so the memory is really in
 * use, as the scavenger sees it) at a small fraction of the cost.
 */
#ifndef HS_WORKLOAD_FILL_H
#define HS_WORKLOAD_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WL_FILL_FULL 4096
#define WL_FILL_STAMP 64

/* Write the pattern of key into the n bytes at p (any alignment). */
void wl_fill(void *p, size_t n, uint64_t key);
/* True when the n bytes at p hold the pattern of key where wl_fill wrote it. */
bool wl_fill_ok(const void *p, size_t n, uint64_t key);

/* A key from a few numbers (P, index, generation, ...). */
static inline uint64_t wl_key(uint64_t a, uint64_t b, uint64_t c)
{
    return a * 0x9e3779b97f4a7c15ULL ^ b * 0xc2b2ae3d27d4eb4fULL ^ c * 0x165667b19e3779f9ULL;
}

#endif
