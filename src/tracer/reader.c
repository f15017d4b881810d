/*
 * reader.c — reads a trace written by libheapscope-trace.so, checking every
 * byte (the format is in include/heapscope/trace.h).
 *
 * The reader walks the file once, front to back: the header, then blocks.
 * Inside a 'C' block it decodes records one at a time, carrying each
 * thread's last time and last address from one of its blocks to the next.
 * The first thing that is not as the format says ends the walk with a
 * sentence naming its byte offset; a file that stops without its 'E' block
 * is truncated, wherever it stops.
 *
 * Invariants: pos <= chunk_end <= len while inside a block, chunk_end == 0
 * between blocks; every thread number seen is below nthreads.
 */
#include <config.h>

#include "heapscope/trace.h"
#include "tracer/varint.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct thread_state {
    uint64_t t, addr;
} thread_state;

struct hs_trace_reader {
    const uint8_t *buf; /* immutable */
    size_t len;         /* immutable */
    void *map;          /* the mapping, when opened from a file */
    hs_trace_header hdr;
    size_t pos;       /* the next block or record */
    size_t chunk_end; /* the end of the current block; 0 between blocks */
    uint32_t chunk_thread;
    uint64_t nchunks; /* 'C' blocks read */
    bool ended;       /* the 'E' block was read */
    thread_state *threads;
    uint32_t nthreads, cap;
};

static const char *const op_names[] = {
    "?",        "malloc", "calloc",  "realloc", "free", "posix_memalign", "aligned_alloc",
    "memalign", "valloc", "pvalloc",
};

const char *hs_trace_op_name(int op)
{
    return op >= 1 && op <= HS_TRACE_OP_MAX ? op_names[op] : op_names[0];
}

__attribute__((format(printf, 3, 4))) static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the header --------------------------------------------------------------- */

static uint64_t get_le(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int read_header(hs_trace_reader *r, char *why, size_t n)
{
    const uint8_t *p = r->buf;
    if (r->len < sizeof HS_TRACE_MAGIC || memcmp(p, HS_TRACE_MAGIC, sizeof HS_TRACE_MAGIC) != 0)
        return fail(why, n, "not a heapscope trace: no \"HSTRACE\" magic at byte 0");
    if (r->len < HS_TRACE_HEADER_BYTES)
        return fail(why, n, "truncated at byte %zu: the header needs %d bytes", r->len,
                    HS_TRACE_HEADER_BYTES);
    r->hdr = (hs_trace_header){
        .version = (uint16_t)get_le(p + 8, 2),
        .header_len = (uint16_t)get_le(p + 10, 2),
        .pid = (uint32_t)get_le(p + 12, 4),
        .ppid = (uint32_t)get_le(p + 16, 4),
        .flags = (uint32_t)get_le(p + 20, 4),
        .start_realtime_ns = get_le(p + 24, 8),
        .start_ns = get_le(p + 32, 8),
    };
    if (r->hdr.version != HS_TRACE_VERSION)
        return fail(why, n, "at byte 8: trace format version %u, this reader knows version %d",
                    r->hdr.version, HS_TRACE_VERSION);
    if (r->hdr.header_len < HS_TRACE_HEADER_BYTES || r->hdr.header_len > r->len)
        return fail(why, n, "at byte 10: a header length of %u bytes in a file of %zu",
                    r->hdr.header_len, r->len);
    r->pos = r->hdr.header_len;
    return 0;
}

/* ---- opening ---------------------------------------------------------------------- */

hs_trace_reader *hs_trace_open_mem(const void *buf, size_t len, char *why, size_t n)
{
    hs_trace_reader *r = calloc(1, sizeof *r);
    if (r == NULL) {
        fail(why, n, "out of memory opening the trace");
        return NULL;
    }
    r->buf = buf;
    r->len = len;
    if (read_header(r, why, n) != 0) {
        hs_trace_close(r);
        return NULL;
    }
    return r;
}

/* Is name "base.<pid>"? */
static bool is_pid_file(const char *name, const char *base, size_t blen)
{
    if (strncmp(name, base, blen) != 0 || name[blen] != '.' || name[blen + 1] == '\0')
        return false;
    for (const char *p = name + blen + 1; *p != '\0'; p++)
        if (*p < '0' || *p > '9')
            return false;
    return true;
}

/* The files PATH.<pid> beside a missing PATH: the recorder writes one for
 * every traced process but the first, so a program started through a shell
 * or a shim that exec'd it leaves only those.  How many, and in largest
 * (as PATH is written: its directory part kept) the biggest of them. */
static size_t pid_files(const char *path, char *largest, size_t n)
{
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    int dlen = slash != NULL ? (int)(slash - path) + 1 : 0; /* with the '/' */
    char dir[PATH_MAX] = ".";
    if (dlen > 0)
        snprintf(dir, sizeof dir, "%.*s", dlen, path);
    DIR *d = opendir(dir);
    size_t count = 0;
    off_t best = -1;
    if (d == NULL || *base == '\0') {
        if (d != NULL)
            closedir(d);
        return 0;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        struct stat st;
        if (!is_pid_file(e->d_name, base, strlen(base)) ||
            fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode))
            continue;
        count++;
        if (st.st_size > best) {
            best = st.st_size;
            snprintf(largest, n, "%.*s%s", dlen, path, e->d_name);
        }
    }
    closedir(d);
    return count;
}

/* Why path cannot be opened (errno set by open), and where the trace may be. */
static void fail_open(const char *path, char *why, size_t n)
{
    int err = errno;
    char largest[PATH_MAX];
    size_t count = err == ENOENT ? pid_files(path, largest, sizeof largest) : 0;
    if (count == 1)
        fail(why, n,
             "cannot read it: %s, but %s is there (a process started by exec or fork from "
             "the traced one writes %s.<pid>): replay that one",
             strerror(err), largest, path);
    else if (count > 1)
        fail(why, n,
             "cannot read it: %s, but %zu files %s.<pid> are there, %s the largest "
             "(processes started by exec or fork from the traced one write them): replay "
             "one of them",
             strerror(err), count, path, largest);
    else
        fail(why, n, "cannot read it: %s", strerror(err));
}

/* The whole file, mapped read-only; NULL (why set) when it cannot be. */
static void *map_file(const char *path, size_t *len, char *why, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    void *p = NULL;
    if (fd < 0) {
        fail_open(path, why, n);
    } else if (fstat(fd, &st) != 0) {
        fail(why, n, "cannot read it: %s", strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        fail(why, n, "not a regular file");
    } else if (st.st_size == 0) {
        fail(why, n, "not a heapscope trace: the file is empty (0 bytes)");
    } else {
        p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            fail(why, n, "cannot map it: %s", strerror(errno));
            p = NULL;
        }
        *len = (size_t)st.st_size;
    }
    if (fd >= 0)
        close(fd);
    return p;
}

hs_trace_reader *hs_trace_open(const char *path, char *why, size_t n)
{
    size_t len = 0;
    void *map = map_file(path, &len, why, n);
    if (map == NULL)
        return NULL;
    hs_trace_reader *r = hs_trace_open_mem(map, len, why, n);
    if (r == NULL) {
        munmap(map, len);
        return NULL;
    }
    r->map = map;
    return r;
}

void hs_trace_close(hs_trace_reader *r)
{
    if (r == NULL)
        return;
    if (r->map != NULL)
        munmap(r->map, r->len);
    free(r->threads);
    free(r);
}

const hs_trace_header *hs_trace_get_header(const hs_trace_reader *r)
{
    return &r->hdr;
}

uint32_t hs_trace_threads(const hs_trace_reader *r)
{
    return r->nthreads;
}

/* ---- blocks ------------------------------------------------------------------------- */

/* A varint at r->pos, below end; what went wrong names the offset. */
static int get_varint(hs_trace_reader *r, size_t end, uint64_t *v, const char *what, char *why,
                      size_t n)
{
    int used = varint_get(r->buf + r->pos, r->buf + end, v);
    if (used > 0) {
        r->pos += (size_t)used;
        return 0;
    }
    if (used < 0)
        return fail(why, n, "at byte %zu: the %s is longer than 64 bits", r->pos, what);
    if (end == r->len)
        return fail(why, n, "truncated at byte %zu: the file ends inside the %s", end, what);
    return fail(why, n, "at byte %zu: the %s runs past the end of its block (byte %zu)", r->pos,
                what, end);
}

static int grow_threads(hs_trace_reader *r, uint32_t thread)
{
    if (thread < r->nthreads)
        return 0;
    if (thread >= r->cap) {
        uint32_t cap = r->cap ? r->cap : 16;
        while (cap <= thread)
            cap *= 2;
        thread_state *t = realloc(r->threads, cap * sizeof *t);
        if (t == NULL)
            return -1;
        r->threads = t;
        r->cap = cap;
    }
    memset(r->threads + r->nthreads, 0, (thread + 1 - r->nthreads) * sizeof *r->threads);
    r->nthreads = thread + 1;
    return 0;
}

static int read_chunk_head(hs_trace_reader *r, size_t at, char *why, size_t n)
{
    uint64_t thread, nbytes;
    if (get_varint(r, r->len, &thread, "block's thread number", why, n) != 0 ||
        get_varint(r, r->len, &nbytes, "block's length", why, n) != 0)
        return -1;
    if (thread >= HS_TRACE_MAX_THREADS)
        return fail(why, n, "at byte %zu: thread number %llu is past this reader's bound (%u)", at,
                    (unsigned long long)thread, HS_TRACE_MAX_THREADS);
    if (nbytes > r->len - r->pos)
        return fail(why, n,
                    "truncated at byte %zu: the block at byte %zu holds %llu bytes, "
                    "only %zu follow",
                    r->len, at, (unsigned long long)nbytes, r->len - r->pos);
    if (grow_threads(r, (uint32_t)thread) != 0)
        return fail(why, n, "out of memory reading the block at byte %zu", at);
    r->chunk_thread = (uint32_t)thread;
    r->chunk_end = r->pos + (size_t)nbytes;
    r->nchunks++;
    return 0;
}

static int read_end(hs_trace_reader *r, size_t at, char *why, size_t n)
{
    uint64_t nchunks;
    if (get_varint(r, r->len, &nchunks, "end block's count", why, n) != 0)
        return -1;
    if (nchunks != r->nchunks)
        return fail(why, n, "at byte %zu: the end block counts %llu blocks, the file has %llu", at,
                    (unsigned long long)nchunks, (unsigned long long)r->nchunks);
    if (r->pos != r->len)
        return fail(why, n, "at byte %zu: %zu bytes follow the end block", r->pos, r->len - r->pos);
    r->ended = true;
    return 0;
}

/* Past blocks to the next record: 1 inside a block, 0 at the end, -1 on error. */
static int next_block(hs_trace_reader *r, char *why, size_t n)
{
    while (r->pos == r->chunk_end || r->chunk_end == 0) {
        r->chunk_end = 0;
        size_t at = r->pos;
        if (at == r->len)
            return fail(why, n,
                        "truncated at byte %zu: the trace stops without its end block "
                        "(the program did not exit normally, or the file was cut short)",
                        at);
        uint8_t tag = r->buf[r->pos++];
        if (tag == HS_TRACE_BLOCK_END)
            return read_end(r, at, why, n);
        if (tag != HS_TRACE_BLOCK_CHUNK)
            return fail(why, n, "at byte %zu: unknown block type 0x%02x", at, tag);
        if (read_chunk_head(r, at, why, n) != 0)
            return -1;
    }
    return 1;
}

/* ---- records ------------------------------------------------------------------------ */

static int get_addr(hs_trace_reader *r, thread_state *ts, uint64_t *addr, const char *what,
                    char *why, size_t n)
{
    uint64_t z;
    if (get_varint(r, r->chunk_end, &z, what, why, n) != 0)
        return -1;
    ts->addr += unzigzag(z);
    *addr = ts->addr;
    return 0;
}

static int get_time(hs_trace_reader *r, thread_state *ts, hs_trace_record *rec, char *why, size_t n)
{
    uint64_t dt;
    if (get_varint(r, r->chunk_end, &dt, "time", why, n) != 0)
        return -1;
    if (dt > UINT64_MAX - ts->t)
        return fail(why, n, "at byte %zu: the record's time overflows 64 bits", rec->offset);
    ts->t += dt;
    rec->t_ns = ts->t;
    return 0;
}

static int read_fields(hs_trace_reader *r, thread_state *ts, hs_trace_record *rec, char *why,
                       size_t n)
{
    hs_trace_op op = rec->op;
    size_t end = r->chunk_end;
    if (get_time(r, ts, rec, why, n) != 0)
        return -1;
    if (op == HS_TRACE_REALLOC && get_addr(r, ts, &rec->old, "old address", why, n) != 0)
        return -1;
    if (op >= HS_TRACE_POSIX_MEMALIGN && op <= HS_TRACE_MEMALIGN &&
        get_varint(r, end, &rec->align, "alignment", why, n) != 0)
        return -1;
    if (op != HS_TRACE_FREE && get_varint(r, end, &rec->size, "size", why, n) != 0)
        return -1;
    return get_addr(r, ts, &rec->addr, "address", why, n);
}

int hs_trace_next(hs_trace_reader *r, hs_trace_record *rec, char *why, size_t n)
{
    if (r->ended)
        return 0;
    int st = next_block(r, why, n);
    if (st <= 0)
        return st;
    *rec = (hs_trace_record){.thread = r->chunk_thread, .offset = r->pos};
    uint8_t op = r->buf[r->pos++];
    if (op < 1 || op > HS_TRACE_OP_MAX)
        return fail(why, n, "at byte %zu: unknown record type %u", rec->offset, op);
    rec->op = (hs_trace_op)op;
    return read_fields(r, &r->threads[r->chunk_thread], rec, why, n) == 0 ? 1 : -1;
}
