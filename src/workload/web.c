/*
 * web.c — a web server's heap: request handlers on every P, a long-lived LRU
 * cache, and load that rises and falls.
 *
 * Each P is a server.  Requests arrive on a schedule of their own (virtual
 * time): a Poisson process whose rate follows the load curve
 *
 *     load(t) = LOW + (1 - LOW) * (1 - cos(2 pi t / period)) / 2
 *
 * from LOW (10%) of `rate` at t = 0 to all of it at half a period and back.
 * Each request stays in flight for an exponential time of mean `latency`, so
 * by Little's law the P holds about rate * load * latency requests at once:
 * the live heap swells at the peak and drains at the trough, the pacer's goal
 * follows it, and at the trough the scavenger returns what the peak left.
 * With pace=1 the P waits for the wall clock to reach each arrival (its P
 * released meanwhile, as an idle server's); with pace=0 it runs the schedule
 * as fast as it can.  Either way the same seed gives the same requests.
 *
 * One request, built when it arrives:
 *   1. a request struct, kept in a goroutine slot while in flight;
 *   2. 4 to 15 headers, a linked list of structs with a name and a value
 *      string each (mostly tiny and small pointer-free strings);
 *   3. parts: a []*part of structs of 32 to 512 bytes, each with a string,
 *      about `request` bytes in all;
 *   4. `big` requests in 1000 carry a body buffer of 64 KiB to 1 MiB;
 *   5. a cache lookup: on a hit the entry's value is checked and the entry
 *      moves to the front; on a miss a new value is made, inserted at the
 *      front, and entries are evicted from the back while the P's share of
 *      `cache` is exceeded.  The request keeps the value as its response.
 * When its time is up the request is checked whole and dropped.
 *
 * The cache is sharded: each P owns a hash table ([]*entry in the globals),
 * with entries chained per bucket and in one LRU list (head and tail in the
 * globals).  Every link is a pointer store under the write barrier.
 *
 * Checks: every struct carries a tag (magic, P, kind) in word 0 and ~tag in
 * its last word; every string, body and cache value holds the fill pattern
 * of a key the request or the cache key determines (fill.h).  A request is
 * checked whole when it retires, a cache value on every hit, and at the end
 * every request still in flight and the whole cache (LRU list against the
 * tables, byte count) are.
 *
 * P 0 also reads the runtime's statistics every 1/8 of a period of its
 * schedule; the report prints them, to show the heap following the load.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"
#include "workload/scenario.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#define NS_PER_S 1000000000ULL
#define NS_PER_MS 1000000ULL
#define LOW_LOAD 0.1
#define TAG_MAGIC ((uint64_t)0x77656273) /* "webs" */
#define MIN_INFLIGHT 64
#define MAX_INFLIGHT 65536
#define BIG_MIN (64 << 10)
#define BIG_SHIFTS 4 /* bodies of 64 KiB << 0..3, each range doubling: up to 1 MiB */
#define VALUE_MIN 64
#define VALUE_SHIFTS 8 /* cache values of 64 B << 0..7 doubling: up to 16 KiB */
#define VALUE_MEAN 3060
#define SAMPLES_PER_PERIOD 8
#define MAX_SAMPLES 256

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

static const uint8_t req_mask[] = {0x3c}, header_mask[] = {0x0e}, entry_mask[] = {0x3c};
static const uint8_t part_mask[] = {0x02}, ptrs_mask[] = {0x01};
static const hs_type req_type = {"web.Request", sizeof(web_req), 6 * 8, req_mask};
static const hs_type header_type = {"web.Header", sizeof(web_header), 4 * 8, header_mask};
static const hs_type entry_type = {"web.entry", sizeof(web_entry), 6 * 8, entry_mask};
static const hs_type ptrs_type = {"[]*web.T", sizeof(void *), sizeof(void *), ptrs_mask};
static const hs_type part_types[] = {
    {"web.part32", 32, 16, part_mask},   {"web.part48", 48, 16, part_mask},
    {"web.part64", 64, 16, part_mask},   {"web.part96", 96, 16, part_mask},
    {"web.part128", 128, 16, part_mask}, {"web.part256", 256, 16, part_mask},
    {"web.part512", 512, 16, part_mask},
};
#define NPART_TYPES (sizeof part_types / sizeof part_types[0])
/* Mean bytes of a part (struct 162, string 121) and of a header (struct 48,
 * name 9.5, value 121), so that a request's small objects come to about
 * request= bytes. */
#define PART_MEAN 283
#define HEADER_MEAN 179

/* ---- parameters ------------------------------------------------------------------- */

enum { P_RATE, P_PERIOD, P_REQUEST, P_BIG, P_CACHE, P_LATENCY, P_REQUESTS, P_PACE };

static const wl_param params[] = {
    {"rate", WL_INT, 10000, 1, 10000000, "requests per second on each P at the peak"},
    {"period", WL_INT, 20, 1, 86400, "seconds from one trough of the load to the next"},
    {"request", WL_SIZE, 8 << 10, 64, 1 << 20, "bytes of small objects per request, about"},
    {"big", WL_INT, 20, 0, 1000, "requests in 1000 with a 64KiB-1MiB body"},
    {"cache", WL_SIZE, 16 << 20, 64 << 10, (int64_t)1 << 40, "bytes the LRU cache holds"},
    {"latency", WL_INT, 100, 1, 60000, "milliseconds a request stays in flight, on average"},
    {"requests", WL_INT, 0, 0, 1000000000, "requests per P, then stop; 0: until the duration ends"},
    {"pace", WL_INT, 1, 0, 1, "1: keep to the wall clock; 0: run the schedule at full speed"},
};

/* ---- what the run shares ------------------------------------------------------------ */

typedef struct web_sample {
    double t_s, wall_s, load;
    uint64_t inflight;
    uint64_t heap_alloc, next_gc, heap_idle, released;
    uint32_t numgc;
} web_sample;

typedef struct web_shared {
    /* Written by P 0 only, read after join. */
    web_sample samples[MAX_SAMPLES]; /* a ring: the last MAX_SAMPLES */
    uint64_t nsamples;
    /* Added to by each P as it finishes (atomics), read after join. */
    uint64_t requests, hits, misses, evictions, bodies;
} web_shared;

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

static uint64_t tag_of(const web_p *st, int kind)
{
    return st->tag_base | (uint64_t)kind;
}

/* ---- sizes and schedules --------------------------------------------------------------- */

static size_t inflight_cap(const int64_t *values)
{
    double expect = (double)values[P_RATE] * (double)values[P_LATENCY] / 1000.0;
    double cap = 4 * expect + MIN_INFLIGHT;
    return cap > MAX_INFLIGHT ? MAX_INFLIGHT : (size_t)cap;
}

static double load_at(const int64_t *values, int64_t vt)
{
    double phase = (double)vt / ((double)values[P_PERIOD] * NS_PER_S);
    return LOW_LOAD + (1 - LOW_LOAD) * (1 - cos(2 * M_PI * phase)) / 2;
}

/* Uniform in (0, 1]. */
static double unit(wl_rand *r)
{
    return (double)((wl_rand_next(r) >> 11) + 1) / 9007199254740992.0;
}

static int64_t exponential_ns(wl_rand *r, double mean_ns)
{
    return (int64_t)(-log(unit(r)) * mean_ns) + 1;
}

/* A size in [min << s, min << (s + 1)) for s uniform in 0..shifts-1. */
static size_t log_size(uint64_t h, size_t min, int shifts)
{
    size_t lo = min << (h % (uint64_t)shifts);
    return lo + (size_t)((h >> 8) % lo);
}

static size_t value_size(uint64_t key)
{
    return log_size(wl_splitmix64(key ^ 0x76616c), VALUE_MIN, VALUE_SHIFTS);
}

/* ---- checks ---------------------------------------------------------------------------- */

static bool struct_ok(const web_p *st, const void *p, size_t size, int kind)
{
    const uint64_t *w = p;
    return p != NULL && w[0] == tag_of(st, kind) && w[size / 8 - 1] == ~w[0];
}

static void seal(void *p, size_t size, uint64_t tag)
{
    uint64_t *w = p;
    w[0] = tag;
    w[size / 8 - 1] = ~tag;
}

static uint64_t value_key(const web_p *st, uint64_t key)
{
    return wl_key(st->tag_base, key, 3);
}

/* NULL when the entry and its value are right; else what is wrong. */
static const char *entry_problem(const web_p *st, const web_entry *e)
{
    if (!struct_ok(st, e, sizeof *e, K_ENTRY))
        return "cache entry's tag";
    const void *v = hs_read_ptr(&e->value);
    if (e->size != value_size(e->key) || v == NULL)
        return "cache entry's size";
    return wl_fill_ok(v, e->size, value_key(st, e->key)) ? NULL : "cache value's contents";
}

/* ---- the cache --------------------------------------------------------------------------- */

static bool cache_init(mut_ctx *c, web_p *st)
{
    uint64_t cap = (uint64_t)c->values[P_CACHE] / (uint64_t)c->nprocs;
    uint64_t expect = cap / (VALUE_MEAN + sizeof(web_entry)) + 1;
    st->cache_cap = cap;
    st->nbuckets = 16;
    while (st->nbuckets < expect)
        st->nbuckets *= 2;
    st->keyspace = 4 * expect + 64;
    void **b = mut_alloc(c, st->nbuckets * sizeof(void *), &ptrs_type);
    if (b == NULL)
        return false;
    hs_write_ptr(c->pp, &st->globals[G_BUCKETS], b);
    return true;
}

static void **bucket_of(web_p *st, uint64_t key)
{
    void **b = hs_read_ptr(&st->globals[G_BUCKETS]);
    return &b[wl_splitmix64(key) & (st->nbuckets - 1)];
}

static web_entry *cache_find(web_p *st, uint64_t key)
{
    web_entry *e = hs_read_ptr(bucket_of(st, key));
    while (e != NULL && e->key != key)
        e = hs_read_ptr(&e->hnext);
    return e;
}

static void lru_unlink(mut_ctx *c, web_p *st, web_entry *e)
{
    web_entry *prev = hs_read_ptr(&e->prev), *next = hs_read_ptr(&e->next);
    hs_write_ptr(c->pp, prev != NULL ? &prev->next : &st->globals[G_HEAD], next);
    hs_write_ptr(c->pp, next != NULL ? &next->prev : &st->globals[G_TAIL], prev);
    hs_write_ptr(c->pp, &e->prev, NULL);
    hs_write_ptr(c->pp, &e->next, NULL);
}

static void lru_push_front(mut_ctx *c, web_p *st, web_entry *e)
{
    web_entry *head = hs_read_ptr(&st->globals[G_HEAD]);
    hs_write_ptr(c->pp, &e->next, head);
    hs_write_ptr(c->pp, head != NULL ? &head->prev : &st->globals[G_TAIL], e);
    hs_write_ptr(c->pp, &st->globals[G_HEAD], e);
}

static void chain_unlink(mut_ctx *c, web_p *st, web_entry *e)
{
    void **link = bucket_of(st, e->key);
    web_entry *cur;
    while ((cur = hs_read_ptr(link)) != e)
        link = &cur->hnext;
    hs_write_ptr(c->pp, link, hs_read_ptr(&e->hnext));
    hs_write_ptr(c->pp, &e->hnext, NULL);
}

/* Evict from the back until the P's share fits; each victim is checked. */
static bool cache_evict(mut_ctx *c, web_p *st)
{
    while (st->cache_bytes > st->cache_cap && st->entries > 1) {
        web_entry *e = hs_read_ptr(&st->globals[G_TAIL]);
        const char *why = entry_problem(st, e);
        if (!mut_check(c, why == NULL, "%s, evicting key %" PRIu64, why, e ? e->key : 0))
            return false;
        lru_unlink(c, st, e);
        chain_unlink(c, st, e);
        hs_write_ptr(c->pp, &e->value, NULL);
        st->cache_bytes -= e->size + sizeof *e;
        st->entries--;
        st->evictions++;
    }
    return true;
}

/* A new entry for key at the front; its value, or NULL when out of memory.
 * The entry is linked before its value is made, so it is reachable at the
 * value's allocation. */
static void *cache_insert(mut_ctx *c, web_p *st, uint64_t key)
{
    web_entry *e = mut_alloc(c, sizeof *e, &entry_type);
    if (e == NULL)
        return NULL;
    seal(e, sizeof *e, tag_of(st, K_ENTRY));
    e->key = key;
    e->size = value_size(key);
    void **bucket = bucket_of(st, key);
    hs_write_ptr(c->pp, &e->hnext, hs_read_ptr(bucket));
    hs_write_ptr(c->pp, bucket, e);
    lru_push_front(c, st, e);
    void *v = mut_alloc(c, e->size, NULL);
    if (v == NULL) { /* out of memory: leave the cache as it was */
        lru_unlink(c, st, e);
        chain_unlink(c, st, e);
        return NULL;
    }
    wl_fill(v, e->size, value_key(st, key));
    hs_write_ptr(c->pp, &e->value, v);
    st->cache_bytes += e->size + sizeof *e;
    st->entries++;
    return cache_evict(c, st) ? v : NULL;
}

/* The value for key: a checked hit moved to the front, or a new entry. */
static void *cache_get(mut_ctx *c, web_p *st, uint64_t key)
{
    web_entry *e = cache_find(st, key);
    if (e == NULL) {
        st->misses++;
        return cache_insert(c, st, key);
    }
    st->hits++;
    const char *why = entry_problem(st, e);
    if (!mut_check(c, why == NULL, "%s, on a hit of key %" PRIu64, why, key))
        return NULL;
    if (hs_read_ptr(&st->globals[G_HEAD]) != e) {
        lru_unlink(c, st, e);
        lru_push_front(c, st, e);
    }
    return hs_read_ptr(&e->value);
}

/* The LRU list from the front: every entry right, found in its bucket, and
 * the count and bytes as kept. */
static void cache_check(mut_ctx *c, web_p *st)
{
    uint64_t n = 0, bytes = 0;
    for (web_entry *e = hs_read_ptr(&st->globals[G_HEAD]); e != NULL; e = hs_read_ptr(&e->next)) {
        const char *why = entry_problem(st, e);
        if (why == NULL && cache_find(st, e->key) != e)
            why = "cache entry missing from its bucket";
        if (!mut_check(c, why == NULL, "%s, key %" PRIu64 " at the end", why, e->key))
            return;
        n++;
        bytes += e->size + sizeof *e;
        if (n % 1024 == 0)
            hs_safepoint(c->pp);
    }
    mut_check(c, n == st->entries && bytes == st->cache_bytes,
              "the cache's list has %" PRIu64 " entries of %" PRIu64 " bytes, want %" PRIu64
              " of %" PRIu64,
              n, bytes, st->entries, st->cache_bytes);
}

/* ---- a request --------------------------------------------------------------------------- */

/* The key of string i of request id (name: which = 0, value: 1, part: 2). */
static uint64_t str_key(const web_p *st, uint64_t id, uint64_t i, uint64_t which)
{
    return wl_key(st->tag_base ^ id, i, which);
}

/* A string of len bytes with its pattern stored at *field (NULL: out of memory). */
static bool new_string(mut_ctx *c, void **field, size_t len, uint64_t key)
{
    void *s = mut_alloc(c, len, NULL);
    if (s == NULL)
        return false;
    wl_fill(s, len, key);
    hs_write_ptr(c->pp, field, s);
    return true;
}

/* Mostly tiny (under 16 bytes) and small strings, some of a few KiB. */
static size_t string_len(wl_rand *r)
{
    uint64_t x = wl_rand_below(r, 100);
    if (x < 50)
        return 1 + (size_t)wl_rand_below(r, 15);
    if (x < 92)
        return 16 + (size_t)wl_rand_below(r, 112);
    return 128 + (size_t)wl_rand_below(r, 1920);
}

static bool add_headers(mut_ctx *c, web_p *st, web_req *q, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        web_header *h = mut_alloc(c, sizeof *h, &header_type);
        if (h == NULL)
            return false;
        seal(h, sizeof *h, tag_of(st, K_HEADER));
        size_t nlen = 4 + (size_t)wl_rand_below(&st->rng, 12), vlen = string_len(&st->rng);
        h->lens = nlen | (uint64_t)vlen << 32;
        hs_write_ptr(c->pp, &h->next, hs_read_ptr(&q->headers));
        hs_write_ptr(c->pp, &q->headers, h);
        if (!new_string(c, &h->name, nlen, str_key(st, q->id, i, 0)) ||
            !new_string(c, &h->value, vlen, str_key(st, q->id, i, 1)))
            return false;
    }
    return true;
}

static bool add_parts(mut_ctx *c, web_p *st, web_req *q, uint64_t n)
{
    void **arr = mut_alloc(c, n * sizeof(void *), &ptrs_type);
    if (arr == NULL)
        return false;
    hs_write_ptr(c->pp, &q->parts, arr);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t kind = wl_rand_below(&st->rng, NPART_TYPES);
        const hs_type *t = &part_types[kind];
        web_part *p = mut_alloc(c, t->size, t);
        if (p == NULL)
            return false;
        seal(p, t->size, tag_of(st, K_PART) | kind << 8);
        p->len = string_len(&st->rng);
        hs_write_ptr(c->pp, &arr[i], p);
        if (!new_string(c, &p->str, p->len, str_key(st, q->id, i, 2)))
            return false;
    }
    return true;
}

static bool add_body(mut_ctx *c, web_p *st, web_req *q)
{
    size_t len = log_size(wl_rand_next(&st->rng), BIG_MIN, BIG_SHIFTS);
    void *b = mut_alloc(c, len, NULL);
    if (b == NULL)
        return false;
    wl_fill(b, len, str_key(st, q->id, 0, 4));
    q->bodylen = len;
    hs_write_ptr(c->pp, &q->body, b);
    st->bodies++;
    return true;
}

/* Draw the cache key: small keys are much more popular than large ones. */
static uint64_t popular_key(web_p *st)
{
    return wl_rand_below(&st->rng, wl_rand_below(&st->rng, st->keyspace) + 1);
}

/* Build request q (already in its slot); false when out of memory. */
static bool build(mut_ctx *c, web_p *st, web_req *q)
{
    uint64_t budget = (uint64_t)c->values[P_REQUEST];
    budget = budget / 2 + wl_rand_below(&st->rng, budget + 1);
    uint64_t nheaders = 4 + wl_rand_below(&st->rng, 12);
    uint64_t hbytes = nheaders * HEADER_MEAN;
    uint64_t nparts = (budget > hbytes ? budget - hbytes : 0) / PART_MEAN + 1;
    q->counts = nheaders | nparts << 32;
    q->ckey = popular_key(st);
    if (!add_headers(c, st, q, nheaders) || !add_parts(c, st, q, nparts))
        return false;
    if (wl_rand_below(&st->rng, 1000) < (uint64_t)c->values[P_BIG] && !add_body(c, st, q))
        return false;
    void *v = cache_get(c, st, q->ckey);
    if (v == NULL)
        return false;
    hs_write_ptr(c->pp, &q->resp, v);
    return true;
}

static const char *headers_problem(const web_p *st, const web_req *q)
{
    uint64_t n = q->counts & 0xffffffff, seen = 0;
    for (const web_header *h = hs_read_ptr(&q->headers); h != NULL; h = hs_read_ptr(&h->next)) {
        if (!struct_ok(st, h, sizeof *h, K_HEADER) || seen >= n)
            return "a header's tag";
        uint64_t i = n - 1 - seen++; /* the list is newest first */
        size_t nlen = h->lens & 0xffffffff, vlen = h->lens >> 32;
        if (!wl_fill_ok(hs_read_ptr(&h->name), nlen, str_key(st, q->id, i, 0)) ||
            !wl_fill_ok(hs_read_ptr(&h->value), vlen, str_key(st, q->id, i, 1)))
            return "a header's strings";
    }
    return seen == n ? NULL : "the number of headers";
}

static const char *parts_problem(const web_p *st, const web_req *q)
{
    uint64_t n = q->counts >> 32;
    void *const *arr = hs_read_ptr(&q->parts);
    for (uint64_t i = 0; i < n; i++) {
        const web_part *p = hs_read_ptr(&arr[i]);
        uint64_t kind = p != NULL ? (p->tag >> 8 & 0xff) : NPART_TYPES;
        if (kind >= NPART_TYPES ||
            !struct_ok(st, p, part_types[kind].size, (int)(K_PART | kind << 8)))
            return "a part's tag";
        if (!wl_fill_ok(hs_read_ptr(&p->str), p->len, str_key(st, q->id, i, 2)))
            return "a part's string";
    }
    return NULL;
}

static const char *request_problem(const web_p *st, const web_req *q)
{
    if (!struct_ok(st, q, sizeof *q, K_REQ))
        return "the request's tag";
    const char *why = headers_problem(st, q);
    if (why == NULL)
        why = parts_problem(st, q);
    const void *body = hs_read_ptr(&q->body), *resp = hs_read_ptr(&q->resp);
    if (why == NULL && q->bodylen > 0 && !wl_fill_ok(body, q->bodylen, str_key(st, q->id, 0, 4)))
        why = "the body's contents";
    if (why == NULL && !wl_fill_ok(resp, value_size(q->ckey), value_key(st, q->ckey)))
        why = "the response's contents";
    return why;
}

/* ---- requests in flight ---------------------------------------------------------------- */

static void heap_push(web_p *st, web_flight f)
{
    size_t i = st->nflight++;
    while (i > 0 && st->heap[(i - 1) / 2].end > f.end) {
        st->heap[i] = st->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    st->heap[i] = f;
}

static web_flight heap_pop(web_p *st)
{
    web_flight top = st->heap[0], last = st->heap[--st->nflight];
    size_t i = 0, n = st->nflight;
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= n)
            break;
        if (k + 1 < n && st->heap[k + 1].end < st->heap[k].end)
            k++;
        if (st->heap[k].end >= last.end)
            break;
        st->heap[i] = st->heap[k];
        i = k;
    }
    if (n > 0)
        st->heap[i] = last;
    return top;
}

/* The request that ends first: checked, then dropped. */
static bool retire_one(mut_ctx *c, web_p *st)
{
    web_flight f = heap_pop(st);
    web_req *q = st->slots[f.slot];
    const char *why = request_problem(st, q);
    bool ok = mut_check(c, why == NULL, "%s, request %" PRIu64, why, q ? q->id : 0);
    st->slots[f.slot] = NULL;
    st->free[st->nfree++] = f.slot;
    return ok;
}

/* Retire what ended by now, and one more when every slot is taken. */
static bool retire_due(mut_ctx *c, web_p *st)
{
    while (st->nflight > 0 && st->heap[0].end <= st->vt)
        if (!retire_one(c, st))
            return false;
    return st->nflight < st->cap || retire_one(c, st);
}

/* A new request, in flight once built (a request left half built by an
 * out-of-memory is dropped unchecked). */
static bool handle(mut_ctx *c, web_p *st)
{
    uint32_t slot = st->free[st->nfree - 1];
    web_req *q = mut_alloc(c, sizeof *q, &req_type);
    if (q == NULL)
        return false;
    seal(q, sizeof *q, tag_of(st, K_REQ));
    q->id = st->next_id++;
    st->slots[slot] = q;
    if (!build(c, st, q)) {
        st->slots[slot] = NULL;
        return false;
    }
    double mean = (double)c->values[P_LATENCY] * NS_PER_MS;
    st->nfree--;
    heap_push(st, (web_flight){st->vt + exponential_ns(&st->rng, mean), slot});
    return true;
}

/* ---- P 0's samples ------------------------------------------------------------------------ */

static void sample(mut_ctx *c, web_p *st)
{
    web_shared *sh = c->shared;
    hs_memstats ms;
    hs_read_memstats(c->rt, &ms);
    sh->samples[sh->nsamples++ % MAX_SAMPLES] = (web_sample){
        .t_s = (double)st->vt / NS_PER_S,
        .wall_s = (double)mut_clock(c) / NS_PER_S,
        .load = load_at(c->values, st->vt),
        .inflight = st->nflight,
        .heap_alloc = ms.HeapAlloc,
        .next_gc = ms.NextGC,
        .heap_idle = ms.HeapIdle,
        .released = ms.HeapReleased,
        .numgc = ms.NumGC,
    };
    st->next_sample += (int64_t)((uint64_t)c->values[P_PERIOD] * NS_PER_S / SAMPLES_PER_PERIOD);
}

/* ---- the scenario ----------------------------------------------------------------------- */

static bool web_p_init(mut_ctx *c, web_p *st)
{
    *st = (web_p){
        .tag_base = TAG_MAGIC << 32 | (uint64_t)(c->id & 0xffff) << 16,
        .slots = hs_g_slots(c->g),
        .globals = hs_runtime_globals(c->rt) + (size_t)c->id * G_PER_P,
        .cap = inflight_cap(c->values),
    };
    wl_rand_seed(&st->rng, c->seed, c->id);
    st->heap = malloc(st->cap * sizeof *st->heap);
    st->free = malloc(st->cap * sizeof *st->free);
    if (st->heap == NULL || st->free == NULL)
        return false;
    for (size_t i = 0; i < st->cap; i++)
        st->free[st->nfree++] = (uint32_t)(st->cap - 1 - i);
    return true;
}

static void web_p_finish(mut_ctx *c, web_p *st)
{
    while (st->nflight > 0 && retire_one(c, st))
        ;
    cache_check(c, st);
    web_shared *sh = c->shared;
    __atomic_fetch_add(&sh->requests, st->next_id, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->hits, st->hits, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->misses, st->misses, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->evictions, st->evictions, __ATOMIC_RELAXED);
    __atomic_fetch_add(&sh->bodies, st->bodies, __ATOMIC_RELAXED);
}

static void serve(mut_ctx *c, web_p *st)
{
    const int64_t *v = c->values;
    uint64_t limit = (uint64_t)v[P_REQUESTS];
    for (uint64_t i = 0; (limit == 0 || i < limit) && mut_poll(c); i++) {
        double rate = (double)v[P_RATE] * load_at(v, st->vt);
        st->vt += exponential_ns(&st->rng, NS_PER_S / rate);
        if (v[P_PACE] && !mut_pace(c, st->vt))
            break;
        if (c->id == 0 && st->vt >= st->next_sample)
            sample(c, st);
        if (!retire_due(c, st) || !handle(c, st))
            break;
        c->ops++;
    }
}

static void web_run(mut_ctx *c)
{
    web_p st;
    if (!web_p_init(c, &st)) {
        mut_check(c, false, "no memory for the table of requests in flight");
    } else if (cache_init(c, &st)) {
        serve(c, &st);
        web_p_finish(c, &st);
    }
    free(st.heap);
    free(st.free);
}

static void web_report(const void *shared, const int64_t *values, FILE *out)
{
    const web_shared *sh = shared;
    uint64_t n = sh->nsamples < MAX_SAMPLES ? sh->nsamples : MAX_SAMPLES;
    fprintf(out, "web: the heap as P 0's load rises and falls (every 1/%d period)\n",
            SAMPLES_PER_PERIOD);
    fprintf(out, "  schedule    wall  load  in flight  heap alloc  heap goal  heap idle  released  "
                 "GCs\n");
    for (uint64_t i = sh->nsamples - n; i < sh->nsamples; i++) {
        const web_sample *s = &sh->samples[i % MAX_SAMPLES];
        fprintf(out,
                "  %7.1fs %6.1fs  %3.0f%%  %9" PRIu64 "  %6.1f MiB %6.1f MiB %6.1f MiB %5.1f MiB "
                "%4" PRIu32 "\n",
                s->t_s, s->wall_s, 100 * s->load, s->inflight, wl_mib(s->heap_alloc),
                wl_mib(s->next_gc), wl_mib(s->heap_idle), wl_mib(s->released), s->numgc);
    }
    uint64_t lookups = sh->hits + sh->misses;
    fprintf(out,
            "web: %" PRIu64 " requests, %" PRIu64 " with a big body; cache: %.0f%% hits, %" PRIu64
            " evictions\n",
            sh->requests, sh->bodies, lookups ? 100.0 * (double)sh->hits / (double)lookups : 0.0,
            sh->evictions);
}

static size_t web_nglobals(const int64_t *values, int nprocs)
{
    return (size_t)nprocs * G_PER_P;
}

static size_t web_nslots(const int64_t *values)
{
    return inflight_cap(values);
}

const wl_scenario wl_web = {
    .name = "web",
    .help = "request handlers, an LRU cache, and load that rises and falls",
    .params = params,
    .nparams = sizeof params / sizeof params[0],
    .default_duration_ns = 20 * NS_PER_S,
    .shared_size = sizeof(web_shared),
    .nglobals = web_nglobals,
    .nslots = web_nslots,
    .init = NULL,
    .run = web_run,
    .report = web_report,
};
