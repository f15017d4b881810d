/*
 * fill.c — the fill pattern of fill.h: written and checked one run of bytes
 * at a time, a run being the whole object when it is small, else the stamps
 * at the start of every page and at the end.
 */
#include <config.h>

#include "workload/fill.h"
#include "workload/rand.h"

#include <string.h>

#define PAGE 4096

/* The pattern's bytes [off, off + n) into buf (n <= WL_FILL_FULL). */
static void pattern(uint8_t *buf, size_t off, size_t n, uint64_t key)
{
    size_t j = off / 8, skip = off % 8, done = 0;
    while (done < n) {
        uint64_t w = wl_splitmix64(key + j++);
        uint8_t bytes[8];
        memcpy(bytes, &w, 8);
        size_t take = 8 - skip < n - done ? 8 - skip : n - done;
        memcpy(buf + done, bytes + skip, take);
        done += take;
        skip = 0;
    }
}

/* Call run(p + off, off, len) for each run of bytes the pattern covers;
 * stops at the first false. */
static bool each_run(size_t n, bool (*run)(void *arg, size_t off, size_t len), void *arg)
{
    if (n <= WL_FILL_FULL)
        return run(arg, 0, n);
    for (size_t off = 0; off + WL_FILL_STAMP <= n - WL_FILL_STAMP; off += PAGE)
        if (!run(arg, off, WL_FILL_STAMP))
            return false;
    return run(arg, n - WL_FILL_STAMP, WL_FILL_STAMP);
}

typedef struct fill_arg {
    uint8_t *p;
    uint64_t key;
} fill_arg;

static bool write_run(void *arg, size_t off, size_t len)
{
    fill_arg *a = arg;
    pattern(a->p + off, off, len, a->key);
    return true;
}

static bool check_run(void *arg, size_t off, size_t len)
{
    fill_arg *a = arg;
    uint8_t want[WL_FILL_FULL];
    pattern(want, off, len, a->key);
    return memcmp(a->p + off, want, len) == 0;
}

void wl_fill(void *p, size_t n, uint64_t key)
{
    fill_arg a = {p, key};
    each_run(n, write_run, &a);
}

bool wl_fill_ok(const void *p, size_t n, uint64_t key)
{
    fill_arg a = {(uint8_t *)p, key};
    return each_run(n, check_run, &a);
}
