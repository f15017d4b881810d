/*
 * web_request.c — one request's object graph in the web scenario, built when
 * it arrives and checked whole when it retires.
 *
 * A request struct (in a goroutine slot while in flight) points at a linked
 * list of 4 to 15 headers, each with a name and a value string; a []*part of
 * structs of 32 to 512 bytes, each with a string, about request= bytes in all;
 * for big= requests in 1000, a body of 64 KiB to 1 MiB; and the cache value it
 * looked up, as its response.  Each object is linked in before the next is
 * made, so everything allocated so far is reachable at every allocation.
 *
 * Every struct carries its tag in word 0 and ~tag in its last word; every
 * string and the body hold the fill pattern of a key the request's id
 * determines, so a check needs nothing but the request itself.  Only the P
 * that made the request touches it.
 */
#include <config.h>

#include "workload/web.h"

static const uint8_t req_mask[] = {0x3c}, header_mask[] = {0x0e};
static const uint8_t part_mask[] = {0x02}, ptrs_mask[] = {0x01};
static const hs_type req_type = {"web.Request", sizeof(web_req), 6 * 8, req_mask};
static const hs_type header_type = {"web.Header", sizeof(web_header), 4 * 8, header_mask};
const hs_type web_ptrs_type = {"[]*web.T", sizeof(void *), sizeof(void *), ptrs_mask};
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
    void **arr = mut_alloc(c, n * sizeof(void *), &web_ptrs_type);
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
    void *v = web_cache_get(c, st, q->ckey);
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

const char *web_request_problem(const web_p *st, const web_req *q)
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

bool web_request_new(mut_ctx *c, web_p *st, uint32_t slot)
{
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
    return true;
}
