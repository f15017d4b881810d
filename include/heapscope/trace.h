/*
 * heapscope/trace.h — traces of a real program's malloc calls: the format
 * and its reader.
 *
 * libheapscope-trace.so, preloaded into a dynamically linked program
 * (HEAPSCOPE_TRACE=out.hst LD_PRELOAD=libheapscope-trace.so prog), writes
 * one record per call of malloc, calloc, realloc, reallocarray, free,
 * posix_memalign, aligned_alloc, memalign, valloc and pvalloc: what was
 * asked, what came back, which thread, when.  `heapscope --workload
 * trace:file=out.hst` replays the trace through the Go-style heap.
 *
 * The file (all integers little-endian; doc/trace-format.md has the same
 * with examples):
 *
 *   offset  bytes  field
 *   0       8      magic "HSTRACE\0"
 *   8       2      version (HS_TRACE_VERSION)
 *   10      2      header length: the first block starts here (>= 48)
 *   12      4      pid of the traced process
 *   16      4      its parent's pid
 *   20      4      flags (HS_TRACE_FORKED, HS_TRACE_DESCENDANT)
 *   24      8      CLOCK_REALTIME at the start, ns since 1970
 *   32      8      CLOCK_MONOTONIC at the start, ns: record times count from it
 *   40      8      reserved, 0
 *   48      blocks, each a tag byte and unsigned LEB128 varints:
 *             'C' thread nbytes, then nbytes of that thread's records;
 *             'E' nchunks: the end; nchunks counts the 'C' blocks before it,
 *                 and nothing follows it.
 *
 * A record is an op byte (hs_trace_op), then varints:
 *
 *   dt         ns since the previous record of the same thread (the first
 *              record of a thread: since the start)
 *   old        realloc and reallocarray: the block given back, as an address
 *   align      the memalign family: the alignment asked
 *   size       bytes asked (calloc and reallocarray: nmemb * size, or
 *              UINT64_MAX when that overflows)
 *   addr       the block returned; 0 for a failure (and for realloc(p, 0),
 *              which frees p)
 *
 *   op                 fields after dt
 *   malloc, calloc,    size addr
 *   valloc, pvalloc
 *   realloc            old size addr
 *   free               addr          (free(NULL) is not recorded)
 *   posix_memalign,    align size addr
 *   aligned_alloc,
 *   memalign
 *
 * Every address (old and addr) is written as the zigzag-encoded difference
 * from the previous address written for the same thread (0 at its first):
 * consecutive blocks of one thread are close, so most take two or three
 * bytes.  Thread numbers count from 0 in the order threads first allocate,
 * within one file.  A thread's records are in its own call order; blocks of
 * different threads interleave in the order they were flushed, so a reader
 * that wants one timeline sorts by time.
 *
 * Versioning: a reader rejects a version it does not know.  Fields added
 * to the header go after offset 48 and bump nothing: a reader starts the
 * blocks at the header length.
 *
 * The reader below takes a whole file, checks every byte and reports the
 * first problem with its byte offset.  It links nothing but libc.
 */
#ifndef HEAPSCOPE_TRACE_H
#define HEAPSCOPE_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HS_TRACE_MAGIC "HSTRACE" /* and a NUL: 8 bytes */
#define HS_TRACE_VERSION 1
#define HS_TRACE_HEADER_BYTES 48
#define HS_TRACE_BLOCK_CHUNK 'C'
#define HS_TRACE_BLOCK_END 'E'
#define HS_TRACE_MAX_THREADS (1u << 20) /* a reader's sanity bound */

/* Header flags. */
#define HS_TRACE_FORKED 1u     /* a child of fork(): its file is PATH.<pid> */
#define HS_TRACE_DESCENDANT 2u /* exec'd by a traced process: PATH.<pid> */

/* The environment the preload library reads. */
#define HS_TRACE_ENV "HEAPSCOPE_TRACE"           /* the file to write */
#define HS_TRACE_ENV_ROOT "HEAPSCOPE_TRACE_ROOT" /* set by the first traced process */

typedef enum hs_trace_op {
    HS_TRACE_MALLOC = 1,
    HS_TRACE_CALLOC = 2,
    HS_TRACE_REALLOC = 3, /* realloc and reallocarray */
    HS_TRACE_FREE = 4,
    HS_TRACE_POSIX_MEMALIGN = 5,
    HS_TRACE_ALIGNED_ALLOC = 6,
    HS_TRACE_MEMALIGN = 7,
    HS_TRACE_VALLOC = 8,
    HS_TRACE_PVALLOC = 9,
} hs_trace_op;
#define HS_TRACE_OP_MAX 9

/* The name of op ("malloc"), or "?" for an unknown one. */
const char *hs_trace_op_name(int op);

typedef struct hs_trace_header {
    uint16_t version;
    uint16_t header_len;
    uint32_t pid, ppid, flags;
    uint64_t start_realtime_ns, start_ns;
} hs_trace_header;

/* One call, decoded. */
typedef struct hs_trace_record {
    hs_trace_op op;
    uint32_t thread;
    uint64_t t_ns;   /* since the start (header.start_ns) */
    uint64_t size;   /* bytes asked; 0 for free */
    uint64_t align;  /* the memalign family; else 0 */
    uint64_t old;    /* realloc: the block given back (0: none) */
    uint64_t addr;   /* the block returned, or freed by free; 0 for a failure */
    uint64_t offset; /* where the record starts in the file */
} hs_trace_record;

typedef struct hs_trace_reader hs_trace_reader;

/* Open path (mapped read-only) and check its header.  NULL on failure, with
 * one sentence in why naming the byte offset of the problem. */
hs_trace_reader *hs_trace_open(const char *path, char *why, size_t n);
/* The same over len bytes at buf, which must outlive the reader. */
hs_trace_reader *hs_trace_open_mem(const void *buf, size_t len, char *why, size_t n);
void hs_trace_close(hs_trace_reader *r);

const hs_trace_header *hs_trace_get_header(const hs_trace_reader *r);
/* Threads seen so far (one more than the highest thread number). */
uint32_t hs_trace_threads(const hs_trace_reader *r);

/* The next record in file order: 1 with *rec filled, 0 at the end record
 * (checked: its chunk count matches and nothing follows), -1 on a bad or
 * truncated file, with why naming the byte offset. */
int hs_trace_next(hs_trace_reader *r, hs_trace_record *rec, char *why, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* HEAPSCOPE_TRACE_H */
