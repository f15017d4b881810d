/*
 * test_determinism.c — same seed, same workload: every scenario of the
 * registry, run twice on one P with the same seed and a fixed amount of
 * work, makes the same allocations in the same order (the mutator loop's
 * hash of sizes and types) and the same number of GC cycles with the same
 * heap at the end; another seed makes other allocations.
 *
 * Cycles are a function of the allocations only when nothing else decides
 * when they run: the background threads are off, so the P whose allocation
 * passes the trigger runs each cycle itself (runtime.h, hs_config.background).
 * With the collector thread, marking runs beside the mutator and the pacer
 * learns from timings, so the count can vary by a cycle or two.
 */
#include <config.h>

#include "wlutil.h"
#include "tracer/tracegen.h"
#include "workload/scenario.h"

#include <string.h>
#include <unistd.h>

/* The trace scenario replays a file: one is written before the tests, 30,000
 * mallocs of 64 B to 2 KiB on one thread, every other one freed again. */
static char trace_path[64], trace_spec[128];

static void write_trace(void)
{
    tracegen *g = calloc(1, sizeof(*g));
    tg_begin(g);
    uint64_t t = 0;
    for (int i = 0; i < 30000; i++) {
        if (i % 5000 == 0) {
            if (i > 0)
                tg_chunk_end(g);
            tg_chunk(g, 0);
        }
        uint64_t addr = 0x100000 + (uint64_t)i * 0x1000;
        tg_rec(g, HS_TRACE_MALLOC, t += 100, 0, 0, 64 + (uint64_t)(i * 37) % 2000, addr);
        if (i % 2 == 1)
            tg_rec(g, HS_TRACE_FREE, t += 100, 0, 0, 0, addr - 0x1000);
    }
    tg_chunk_end(g);
    tg_end(g);
    snprintf(trace_path, sizeof(trace_path), "/tmp/hs-determinism-%d.hst", (int)getpid());
    FILE *f = fopen(trace_path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(g->buf, 1, g->len, f);
    fclose(f);
    free(g);
    snprintf(trace_spec, sizeof(trace_spec), "trace:file=%s,speed=0", trace_path);
}

static void remove_trace(void)
{
    unlink(trace_path);
}

/* A bounded spec of each scenario, allocating enough for several cycles. */
static const struct {
    const char *name, *spec;
    bool random; /* does the seed change what it allocates? */
} specs[] = {
    {"web", "web:pace=0,requests=3000,period=1,rate=2000,cache=1MiB", true},
    {"binary-trees", "binary-trees:depth=12", false},
    {"churn", "churn:live=1MiB,steps=5000", true},
    {"fragment", "fragment:live=4MiB,rounds=4", true},
    {"large", "large:live=4MiB,max=512KiB,steps=200", true},
    {"tiny", "tiny:strings=100000,steps=1000000", true},
    {"leak", "leak:rate=0,steps=2000", true},
    {"pool", "pool:reuse=0,steps=200", true},
    {"prealloc", "prealloc:sized=0,steps=500", true},
    {"trace", trace_spec, false},
};
#define NSPECS (sizeof specs / sizeof specs[0])

START_TEST(test_same_seed_same_run)
{
    const char *spec = NULL;
    const wl_scenario *sc = wl_scenario_at((size_t)_i);
    for (size_t k = 0; k < NSPECS; k++)
        if (strcmp(specs[k].name, sc->name) == 0)
            spec = specs[k].spec;
    ck_assert_msg(spec != NULL, "no bounded spec for %s in test_determinism.c", sc->name);
    wl_outcome a = wl_run_inline(spec, 7), b = wl_run_inline(spec, 7);
    ck_assert_uint_gt(a.res.allocs, 0);
    ck_assert_msg(a.gc.cycles >= 2, "%s: %u cycles", spec, a.gc.cycles);
    ck_assert_uint_eq(a.res.allocs, b.res.allocs);
    ck_assert_msg(a.res.alloc_hash == b.res.alloc_hash, "%s: allocation sequences differ", spec);
    ck_assert_uint_eq(a.res.ops, b.res.ops);
    ck_assert_uint_eq(a.res.checks_passed, b.res.checks_passed);
    ck_assert_msg(a.gc.cycles == b.gc.cycles, "%s: %u cycles, then %u", spec, a.gc.cycles,
                  b.gc.cycles);
    ck_assert_uint_eq(a.ms.NumGC, b.ms.NumGC);
    ck_assert_uint_eq(a.ms.Mallocs, b.ms.Mallocs);
    ck_assert_uint_eq(a.ms.TotalAlloc, b.ms.TotalAlloc);
    ck_assert_uint_eq(a.ms.HeapAlloc, b.ms.HeapAlloc);
    ck_assert_uint_eq(a.ms.NextGC, b.ms.NextGC);
    wl_outcome_free(&a);
    wl_outcome_free(&b);
}
END_TEST

START_TEST(test_other_seed_other_run)
{
    for (size_t k = 0; k < NSPECS; k++) {
        if (!specs[k].random)
            continue;
        wl_outcome a = wl_run_inline(specs[k].spec, 7), b = wl_run_inline(specs[k].spec, 8);
        ck_assert_msg(a.res.alloc_hash != b.res.alloc_hash, "%s: seed 8 ran as seed 7",
                      specs[k].spec);
        wl_outcome_free(&a);
        wl_outcome_free(&b);
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("determinism");
    TCase *tc = tcase_create("determinism");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, write_trace, remove_trace);
    tcase_add_loop_test(tc, test_same_seed_same_run, 0, (int)wl_scenario_count());
    tcase_add_test(tc, test_other_seed_other_run);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
