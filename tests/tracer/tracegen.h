/*
 * tracegen.h — writes small traces by hand for the tests, byte by byte as
 * doc/trace-format.md lays them out (using the tracer's own varints).
 *
 *   tracegen g;
 *   tg_begin(&g);
 *   tg_chunk(&g, 0);
 *   tg_rec(&g, HS_TRACE_MALLOC, 100, 0, 0, 24, 0x1000);   // op t old align size addr
 *   tg_chunk_end(&g);
 *   tg_end(&g);                                           // g.buf, g.len
 *
 * Times are absolute (ns since the start); each thread's last time and
 * address carry over from one of its chunks to the next, as the tracer's.
 */
#ifndef HS_TESTS_TRACEGEN_H
#define HS_TESTS_TRACEGEN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "heapscope/trace.h"
#include "tracer/varint.h"

#define TG_MAX_THREADS 16
#define TG_CAP (1 << 20)

typedef struct tracegen {
    uint8_t buf[TG_CAP];
    size_t len;
    uint8_t chunk[TG_CAP / 2];
    size_t clen;
    uint32_t thread;
    uint64_t nchunks;
    uint64_t last_t[TG_MAX_THREADS], last_addr[TG_MAX_THREADS];
} tracegen;

static inline void tg_bytes(tracegen *g, const void *p, size_t n)
{
    memcpy(g->buf + g->len, p, n);
    g->len += n;
}

static inline void tg_varint(tracegen *g, uint64_t v)
{
    g->len += varint_put(g->buf + g->len, v);
}

static inline void tg_le(tracegen *g, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        g->buf[g->len++] = (uint8_t)(v >> (8 * i));
}

/* A header: version 1, 48 bytes, pid 1234, parent 1, no flags. */
static inline void tg_begin(tracegen *g)
{
    memset(g, 0, sizeof *g);
    tg_bytes(g, HS_TRACE_MAGIC, 8);
    tg_le(g, HS_TRACE_VERSION, 2);
    tg_le(g, HS_TRACE_HEADER_BYTES, 2);
    tg_le(g, 1234, 4);
    tg_le(g, 1, 4);
    tg_le(g, 0, 4);
    tg_le(g, 1700000000000000000ULL, 8);
    tg_le(g, 5000, 8);
    tg_le(g, 0, 8);
}

static inline void tg_chunk(tracegen *g, uint32_t thread)
{
    g->thread = thread;
    g->clen = 0;
}

static inline void tg_cvarint(tracegen *g, uint64_t v)
{
    g->clen += varint_put(g->chunk + g->clen, v);
}

static inline void tg_caddr(tracegen *g, uint64_t addr)
{
    tg_cvarint(g, zigzag(addr - g->last_addr[g->thread]));
    g->last_addr[g->thread] = addr;
}

static inline void tg_rec(tracegen *g, int op, uint64_t t, uint64_t old, uint64_t align,
                          uint64_t size, uint64_t addr)
{
    g->chunk[g->clen++] = (uint8_t)op;
    tg_cvarint(g, t - g->last_t[g->thread]);
    g->last_t[g->thread] = t;
    if (op == HS_TRACE_REALLOC)
        tg_caddr(g, old);
    if (op >= HS_TRACE_POSIX_MEMALIGN && op <= HS_TRACE_MEMALIGN)
        tg_cvarint(g, align);
    if (op != HS_TRACE_FREE)
        tg_cvarint(g, size);
    tg_caddr(g, addr);
}

static inline void tg_chunk_end(tracegen *g)
{
    g->buf[g->len++] = HS_TRACE_BLOCK_CHUNK;
    tg_varint(g, g->thread);
    tg_varint(g, g->clen);
    tg_bytes(g, g->chunk, g->clen);
    g->nchunks++;
}

static inline void tg_end(tracegen *g)
{
    g->buf[g->len++] = HS_TRACE_BLOCK_END;
    tg_varint(g, g->nchunks);
}

/* The example of doc/trace-format.md: thread 0 mallocs 24 bytes at 0x1000
 * 10 ns after the start and frees them 20 ns later. */
static inline void tg_example(tracegen *g)
{
    tg_begin(g);
    tg_chunk(g, 0);
    tg_rec(g, HS_TRACE_MALLOC, 10, 0, 0, 24, 0x1000);
    tg_rec(g, HS_TRACE_FREE, 30, 0, 0, 0, 0x1000);
    tg_chunk_end(g);
    tg_end(g);
}

/* Write the first len bytes to path; 0 on success. */
static inline int tg_write(const tracegen *g, size_t len, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return -1;
    size_t w = fwrite(g->buf, 1, len, f);
    return (fclose(f) == 0 && w == len) ? 0 : -1;
}

#endif
