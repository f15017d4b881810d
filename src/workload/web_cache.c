/*
 * web_cache.c — the web scenario's long-lived LRU cache, sharded by P.
 *
 * Each P owns its shard: a hash table ([]*entry, in the P's first global) whose
 * buckets chain entries through hnext, and one doubly linked LRU list whose
 * head and tail are the P's other two globals.  Every link is a pointer store
 * under the write barrier, so the collector sees the cache change while it
 * marks.
 *
 * get(key): on a hit the entry is checked and moved to the front; on a miss a
 * new entry is linked in at the front before its value is made (so it is
 * reachable at the value's allocation), then entries are evicted from the back,
 * each checked, while the shard holds more than the P's share of cache=.  An
 * out-of-memory leaves the cache as it was.
 *
 * Invariants: every entry in the LRU list is in its bucket and vice versa;
 * entries and cache_bytes count the list (cache_check verifies both at the
 * end).  Only the P owning the shard touches it.
 */
#include <config.h>

#include "workload/web.h"

#include <inttypes.h>

#define VALUE_MEAN 3060

static const uint8_t entry_mask[] = {0x3c};
static const hs_type entry_type = {"web.entry", sizeof(web_entry), 6 * 8, entry_mask};

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

bool web_cache_init(mut_ctx *c, web_p *st)
{
    uint64_t cap = (uint64_t)c->values[P_CACHE] / (uint64_t)c->nprocs;
    uint64_t expect = cap / (VALUE_MEAN + sizeof(web_entry)) + 1;
    st->cache_cap = cap;
    st->nbuckets = 16;
    while (st->nbuckets < expect)
        st->nbuckets *= 2;
    st->keyspace = 4 * expect + 64;
    void **b = mut_alloc(c, st->nbuckets * sizeof(void *), &web_ptrs_type);
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
void *web_cache_get(mut_ctx *c, web_p *st, uint64_t key)
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
void web_cache_check(mut_ctx *c, web_p *st)
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
