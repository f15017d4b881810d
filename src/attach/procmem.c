/*
 * procmem.c — reading the program's memory with process_vm_readv.
 *
 * One system call carries up to IOV_BATCH reads, so a frame of a large heap
 * costs a few dozen calls rather than one per span (one read per span was
 * measured four times slower).  Two shapes:
 *
 *   pm_batch  exact reads, each to its own destination: globals, arena
 *             metadata, mcaches, the mark bytes at the end of small spans;
 *   pm_pages  many small reads that cluster (mspan structs from fixalloc
 *             chunks, gcBits arenas): the 4 KiB pages they touch are each
 *             read once into a hash table of pages (one vector entry
 *             each) and copied out afterwards.
 *
 * process_vm_readv stops at the first remote range it cannot read and
 * returns what it read so far; the loop below skips that range (its
 * destination stays zero, counted as failed) and goes on with the next.
 * ESRCH means the program is gone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "attach/attachint.h"

#define IOV_BATCH 1024
#define PAGE 4096u

/* ---- the vector loop shared by both shapes ------------------------------------- */

/* Read n ranges: remote[i] into local[i] (same lengths).  Unreadable ranges
 * are zeroed and counted in *failed.  0 or -errno. */
static int readv_all(pid_t pid, struct iovec *local, struct iovec *remote, size_t n, size_t *failed)
{
    size_t i = 0;
    while (i < n) {
        size_t k = n - i < IOV_BATCH ? n - i : IOV_BATCH;
        ssize_t got = process_vm_readv(pid, local + i, k, remote + i, k, 0);
        if (got < 0 && (errno == ESRCH || errno == EPERM || errno == ENOMEM))
            return -errno;
        if (got < 0)
            got = 0; /* EFAULT on the first range */
        size_t done = (size_t)got;
        while (i < n && k > 0 && done >= remote[i].iov_len) {
            done -= remote[i].iov_len;
            i++;
            k--;
        }
        if (k > 0) { /* range i failed (part of it may have been read) */
            memset(local[i].iov_base, 0, local[i].iov_len);
            (*failed)++;
            i++;
        }
    }
    return 0;
}

/* ---- exact batches ----------------------------------------------------------------- */

void pm_batch_add(pm_batch *b, uint64_t addr, void *dst, size_t len)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 256;
        pm_req *r = realloc(b->req, cap * sizeof *r);
        if (r == NULL) {
            memset(dst, 0, len);
            b->failed++;
            return;
        }
        b->req = r;
        b->cap = cap;
    }
    b->req[b->n++] = (pm_req){addr, dst, len};
}

int pm_batch_run(pm_batch *b, pid_t pid)
{
    struct iovec *io = malloc(2 * (b->n ? b->n : 1) * sizeof *io);
    if (io == NULL)
        return -ENOMEM;
    struct iovec *local = io, *remote = io + b->n;
    for (size_t i = 0; i < b->n; i++) {
        local[i] = (struct iovec){b->req[i].dst, b->req[i].len};
        remote[i] = (struct iovec){(void *)(uintptr_t)b->req[i].addr, b->req[i].len};
    }
    int rc = readv_all(pid, local, remote, b->n, &b->failed);
    free(io);
    return rc;
}

void pm_batch_reset(pm_batch *b)
{
    b->n = 0;
    b->failed = 0;
}

void pm_batch_free(pm_batch *b)
{
    free(b->req);
    *b = (pm_batch){0};
}

/* ---- the page cache ------------------------------------------------------------------ */

/* Open addressing: slot[h] holds page number + 1 (0: empty); data[h] its bytes. */
struct pm_pages {
    uint64_t *key;
    uint8_t *ok;
    uint8_t *data;
    size_t cap, n;   /* cap a power of two, n < cap / 2 */
    int shift;       /* 64 - log2(cap): Fibonacci hashing keeps the top bits */
    uint32_t *order; /* slots in the order they were wanted */
};

pm_pages *pm_pages_new(void)
{
    return calloc(1, sizeof(pm_pages));
}

void pm_pages_free(pm_pages *pc)
{
    if (pc == NULL)
        return;
    free(pc->key);
    free(pc->ok);
    free(pc->data);
    free(pc->order);
    free(pc);
}

void pm_pages_reset(pm_pages *pc)
{
    if (pc->key != NULL)
        memset(pc->key, 0, pc->cap * sizeof *pc->key);
    pc->n = 0;
}

static size_t slot_of(const pm_pages *pc, uint64_t page)
{
    size_t mask = pc->cap - 1, h = (size_t)(page * 0x9e3779b97f4a7c15ull >> pc->shift);
    while (pc->key[h] != 0 && pc->key[h] != page + 1)
        h = (h + 1) & mask;
    return h;
}

/* Double the table, keeping the wanted pages (none is fetched yet). */
static bool grow(pm_pages *pc)
{
    size_t cap = pc->cap ? 2 * pc->cap : 1024;
    uint64_t *old = pc->key, *key = calloc(cap, sizeof *key);
    uint32_t *order = malloc(cap * sizeof *order);
    uint8_t *ok = malloc(cap), *data = malloc(cap * PAGE);
    if (key == NULL || order == NULL || ok == NULL || data == NULL) {
        free(key);
        free(order);
        free(ok);
        free(data);
        return false;
    }
    size_t n = pc->n;
    uint32_t *oldorder = pc->order;
    free(pc->ok);
    free(pc->data);
    int shift = 64;
    for (size_t c = cap; c > 1; c >>= 1)
        shift--;
    *pc =
        (pm_pages){.key = key, .ok = ok, .data = data, .cap = cap, .order = order, .shift = shift};
    for (size_t i = 0; i < n; i++) {
        size_t h = slot_of(pc, old[oldorder[i]] - 1);
        pc->key[h] = old[oldorder[i]];
        pc->order[pc->n++] = (uint32_t)h;
    }
    free(old);
    free(oldorder);
    return true;
}

bool pm_pages_want(pm_pages *pc, uint64_t addr, size_t len)
{
    if (len == 0)
        return true;
    for (uint64_t p = addr / PAGE; p <= (addr + len - 1) / PAGE; p++) {
        if (2 * (pc->n + 1) > pc->cap && !grow(pc))
            return false;
        size_t h = slot_of(pc, p);
        if (pc->key[h] == 0) {
            pc->key[h] = p + 1;
            pc->order[pc->n++] = (uint32_t)h;
        }
    }
    return true;
}

int pm_pages_fetch(pm_pages *pc, pid_t pid)
{
    if (pc->n == 0)
        return 0;
    struct iovec *io = malloc(2 * pc->n * sizeof *io);
    if (io == NULL)
        return -ENOMEM;
    struct iovec *local = io, *remote = io + pc->n;
    for (size_t i = 0; i < pc->n; i++) {
        size_t h = pc->order[i];
        local[i] = (struct iovec){pc->data + h * PAGE, PAGE};
        remote[i] = (struct iovec){(void *)(uintptr_t)((pc->key[h] - 1) * PAGE), PAGE};
    }
    size_t failed = 0;
    int rc = readv_all(pid, local, remote, pc->n, &failed);
    for (size_t i = 0; i < pc->n; i++)
        pc->ok[pc->order[i]] = 1;
    if (failed > 0) /* rare: find which pages were unreadable, one by one */
        for (size_t i = 0; i < pc->n; i++) {
            size_t h = pc->order[i];
            struct iovec l = {pc->data + h * PAGE, PAGE}, r = remote[i];
            pc->ok[h] = process_vm_readv(pid, &l, 1, &r, 1, 0) == (ssize_t)PAGE;
        }
    free(io);
    return rc;
}

const void *pm_pages_view(const pm_pages *pc, uint64_t addr, size_t len, void *tmp)
{
    size_t off = (size_t)(addr % PAGE);
    if (off + len > PAGE || pc->cap == 0)
        return pm_pages_get(pc, addr, tmp, len) ? tmp : NULL;
    size_t h = slot_of(pc, addr / PAGE);
    if (pc->key[h] == 0 || !pc->ok[h])
        return NULL;
    return pc->data + h * PAGE + off;
}

bool pm_pages_get(const pm_pages *pc, uint64_t addr, void *dst, size_t len)
{
    uint8_t *out = dst;
    while (len > 0) {
        uint64_t page = addr / PAGE;
        size_t off = (size_t)(addr % PAGE), take = PAGE - off < len ? PAGE - off : len;
        if (pc->cap == 0)
            return false;
        size_t h = slot_of(pc, page);
        if (pc->key[h] == 0 || !pc->ok[h])
            return false;
        memcpy(out, pc->data + h * PAGE + off, take);
        out += take;
        addr += take;
        len -= take;
    }
    return true;
}
