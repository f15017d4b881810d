/*
 * web.h — what the web scenario's files share: the objects a request and the
 * cache are made of, one P's server state, and the small checks on them.
 * web.c runs the servers (the load curve, requests in flight, P 0's samples);
 * web_request.c builds and checks one request's object graph; web_cache.c is
 * the LRU cache.  See web.c for the scenario's essay.
 *
 * A web_p belongs to the P running it and is touched by that P alone.
 */
#ifndef HS_WORKLOAD_WEB_H
#define HS_WORKLOAD_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#define BIG_MIN (64 << 10)
#define BIG_SHIFTS 4 /* bodies of 64 KiB << 0..3, each range doubling: up to 1 MiB */
#define VALUE_MIN 64
#define VALUE_SHIFTS 8 /* cache values of 64 B << 0..7 doubling: up to 16 KiB */

/* ---- the objects ---------------------------------------------------------------- */

enum { K_REQ = 1, K_HEADER, K_ENTRY, K_PART };

typedef struct web_req {
    uint64_t tag;
    uint64_t id;
    void *headers, *parts, *body, *resp; /* words 2..5 */
    uint64_t counts;                     /* nheaders | nparts << 32 */
    uint64_t bodylen;
    uint64_t ckey; /* the cache key it looked up */
    uint64_t guard;
} web_req;

typedef struct web_header {
    uint64_t tag;
    void *next, *name, *value; /* words 1..3 */
    uint64_t lens;             /* name length | value length << 32 */
    uint64_t guard;
} web_header;

typedef struct web_entry {
    uint64_t tag;
    uint64_t key;
    void *prev, *next, *hnext, *value; /* words 2..5 */
    uint64_t size;
    uint64_t guard;
} web_entry;

/* A part: tag, string, its length, payload, guard (32 to 512 bytes). */
typedef struct web_part {
    uint64_t tag;
    void *str;
    uint64_t len;
    uint64_t words[];
} web_part;

/* The type of the []*T arrays: cache buckets and a request's parts. */
extern const hs_type web_ptrs_type;

/* ---- parameters ------------------------------------------------------------------- */

enum { P_RATE, P_PERIOD, P_REQUEST, P_BIG, P_CACHE, P_LATENCY, P_REQUESTS, P_PACE };

/* ---- one P's server ------------------------------------------------------------------- */

typedef struct web_flight {
    int64_t end; /* virtual ns */
    uint32_t slot;
} web_flight;

typedef struct web_p {
    wl_rand rng;
    uint64_t tag_base; /* magic and P */
    void **slots;      /* the goroutine's: requests in flight */
    void **globals;    /* this P's three: buckets, LRU head, LRU tail */
    web_flight *heap;  /* min-heap of requests in flight by end time */
    uint32_t *free;    /* free slot numbers */
    size_t nflight, nfree, cap;
    size_t nbuckets;
    uint64_t keyspace, cache_cap, cache_bytes, entries;
    int64_t vt, next_sample;
    uint64_t next_id, hits, misses, evictions, bodies;
} web_p;

enum { G_BUCKETS, G_HEAD, G_TAIL, G_PER_P };

static inline uint64_t tag_of(const web_p *st, int kind)
{
    return st->tag_base | (uint64_t)kind;
}

/* ---- sizes and checks both the cache and the requests use -------------------------- */

/* A size in [min << s, min << (s + 1)) for s uniform in 0..shifts-1. */
static inline size_t log_size(uint64_t h, size_t min, int shifts)
{
    size_t lo = min << (h % (uint64_t)shifts);
    return lo + (size_t)((h >> 8) % lo);
}

static inline size_t value_size(uint64_t key)
{
    return log_size(wl_splitmix64(key ^ 0x76616c), VALUE_MIN, VALUE_SHIFTS);
}

static inline bool struct_ok(const web_p *st, const void *p, size_t size, int kind)
{
    const uint64_t *w = p;
    return p != NULL && w[0] == tag_of(st, kind) && w[size / 8 - 1] == ~w[0];
}

static inline void seal(void *p, size_t size, uint64_t tag)
{
    uint64_t *w = p;
    w[0] = tag;
    w[size / 8 - 1] = ~tag;
}

static inline uint64_t value_key(const web_p *st, uint64_t key)
{
    return wl_key(st->tag_base, key, 3);
}

/* ---- the cache (web_cache.c) ---------------------------------------------------------- */

/* The P's bucket table, sized for its share of cache=; false when out of memory. */
bool web_cache_init(mut_ctx *c, web_p *st);
/* The value for key: a checked hit moved to the front, or a new entry; NULL
 * when out of memory or a check failed. */
void *web_cache_get(mut_ctx *c, web_p *st, uint64_t key);
/* The whole cache checked against its count and bytes (at the end). */
void web_cache_check(mut_ctx *c, web_p *st);

/* ---- a request (web_request.c) -------------------------------------------------------- */

/* Make a request, put it in slot and build it; false when out of memory (the
 * slot is then left empty). */
bool web_request_new(mut_ctx *c, web_p *st, uint32_t slot);
/* NULL when request q is whole and right; else what is wrong. */
const char *web_request_problem(const web_p *st, const web_req *q);

#endif
