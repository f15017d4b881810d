/*
 * test_trace.c — the trace workload: its parameters (a required path and a
 * decimal speed), bad trace files refused at parse time with the byte
 * offset, and replays of hand-written traces with exact counts — every
 * rule of the replay once, then a random trace of four threads that free
 * each other's blocks, on 1, 2 and 3 Ps under frequent collections.
 */
#include <config.h>

#include "heapscope/workload.h"
#include "workload/scenario.h"
#include "workload/rand.h"
#include "../tracer/tracegen.h"
#include "wlutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static tracegen g; /* 1.5 MiB: not on the stack */
static char path[64];

typedef struct counts {
    uint64_t records, allocs, bytes, frees, unknown, failed;
    unsigned threads;
} counts;

static void save(size_t len)
{
    snprintf(path, sizeof path, "/tmp/hs-test-trace.XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(tg_write(&g, len, path), 0);
}

static void spec_of(char *buf, size_t n, const char *extra)
{
    snprintf(buf, n, "trace:file=%s%s", path, extra);
}

/* Replay path on nprocs Ps and read the report's numbers. */
static counts replay(int nprocs, int gogc)
{
    char spec[128];
    wl_outcome o = {0};
    counts c = {0};
    spec_of(spec, sizeof spec, ",speed=0");
    wl_run(spec, nprocs, gogc, 0, 0, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "%s: %s", hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    char *line2 = strchr(o.out, '\n');
    ck_assert_ptr_nonnull(line2);
    ck_assert_int_eq(
        sscanf(strchr(o.out, ':'), ": %" SCNu64 " records from %u thread", &c.records, &c.threads),
        2);
    int p;
    ck_assert_int_eq(sscanf(line2 + 1,
                            "replayed %" SCNu64 " allocations (%" SCNu64 " bytes) and %" SCNu64
                            " frees on %d Ps\nskipped %" SCNu64
                            " frees of blocks the trace never allocated, %" SCNu64 " failed",
                            &c.allocs, &c.bytes, &c.frees, &p, &c.unknown, &c.failed),
                     6);
    ck_assert_int_eq(p, nprocs);
    wl_outcome_free(&o);
    return c;
}

static void expect_counts(const counts *got, const counts *want)
{
    ck_assert_uint_eq(got->records, want->records);
    ck_assert_uint_eq(got->threads, want->threads);
    ck_assert_uint_eq(got->allocs, want->allocs);
    ck_assert_uint_eq(got->bytes, want->bytes);
    ck_assert_uint_eq(got->frees, want->frees);
    ck_assert_uint_eq(got->unknown, want->unknown);
    ck_assert_uint_eq(got->failed, want->failed);
}

/* ---- parameters -------------------------------------------------------------------- */

static void expect_reject(const char *spec, hs_workload_status st, const char *words)
{
    hs_workload *w = NULL;
    char why[256] = "";
    ck_assert_int_eq(hs_workload_parse(spec, &w, why, sizeof why), st);
    ck_assert_ptr_null(w);
    ck_assert_msg(strstr(why, words) != NULL, "'%s': '%s' lacks '%s'", spec, why, words);
}

static void write_small(void)
{
    tg_example(&g);
    save(g.len);
}

START_TEST(test_params)
{
    char spec[128], buf[256];
    int64_t v = 0;
    write_small();
    expect_reject("trace", HS_WORKLOAD_MISSING, "trace needs file=");
    expect_reject("trace:speed=2", HS_WORKLOAD_MISSING, "trace needs file=");
    expect_reject("trace:file=/nonexistent/t.hst", HS_WORKLOAD_BAD_INPUT,
                  "trace '/nonexistent/t.hst': cannot read it");
    spec_of(spec, sizeof spec, ",speed=fast");
    expect_reject(spec, HS_WORKLOAD_BAD_VALUE, "speed=fast is not a decimal number");
    spec_of(spec, sizeof spec, ",speed=-1");
    expect_reject(spec, HS_WORKLOAD_BAD_VALUE, "speed=-1 is not a decimal number");
    spec_of(spec, sizeof spec, ",speed=2000000");
    expect_reject(spec, HS_WORKLOAD_BAD_VALUE, "out of range (0 to 1000000)");
    spec_of(spec, sizeof spec, ",speed=1,speed=2");
    expect_reject(spec, HS_WORKLOAD_DUPLICATE, "twice");

    spec_of(spec, sizeof spec, ",speed=0.25");
    hs_workload *w = wl_parse_ok(spec);
    hs_workload_format(w, buf, sizeof buf);
    char want[256];
    snprintf(want, sizeof want, "trace file=%s speed=0.25", path);
    ck_assert_str_eq(buf, want);
    ck_assert(hs_workload_param(w, "speed", &v));
    ck_assert_int_eq(v, 250000);
    ck_assert(!hs_workload_param(w, "file", &v));
    ck_assert_uint_eq(hs_workload_nglobals(w, 4), 1);
    ck_assert_uint_eq(hs_workload_default_duration(w), 0);
    hs_workload_free(w);
    unlink(path);
}
END_TEST

START_TEST(test_decimals)
{
    int64_t v;
    char buf[32];
    ck_assert(wl_parse_decimal("1", &v) && v == 1000000);
    ck_assert(wl_parse_decimal("0.5", &v) && v == 500000);
    ck_assert(wl_parse_decimal("12.0000019", &v) && v == 12000001);
    ck_assert(!wl_parse_decimal("", &v));
    ck_assert(!wl_parse_decimal(".5", &v));
    ck_assert(!wl_parse_decimal("1.", &v));
    ck_assert(!wl_parse_decimal("1e3", &v));
    ck_assert(!wl_parse_decimal("nan", &v));
    ck_assert(!wl_parse_decimal("99999999999999", &v));
    wl_format_value(buf, sizeof buf, WL_DECIMAL, 2500000);
    ck_assert_str_eq(buf, "2.5");
    wl_format_value(buf, sizeof buf, WL_DECIMAL, 0);
    ck_assert_str_eq(buf, "0");
    wl_format_value(buf, sizeof buf, WL_DECIMAL, 1000001);
    ck_assert_str_eq(buf, "1.000001");
}
END_TEST

/* A bad file is refused when the spec is parsed, naming the byte. */
START_TEST(test_bad_files)
{
    char spec[128], words[64];
    write_small();
    size_t len = g.len;
    for (size_t cut = 8; cut < len; cut += 7) {
        save(cut);
        spec_of(spec, sizeof spec, "");
        snprintf(words, sizeof words, "truncated at byte %zu", cut);
        expect_reject(spec, HS_WORKLOAD_BAD_INPUT, words);
        unlink(path);
    }
    g.buf[51] = 0x42;
    save(len);
    spec_of(spec, sizeof spec, "");
    expect_reject(spec, HS_WORKLOAD_BAD_INPUT, "at byte 51: unknown record type 66");
    unlink(path);
}
END_TEST

/* ---- every rule once ---------------------------------------------------------------- */

enum { A = 0x1000, B = 0x2000, C = 0x3000, D = 0x4000, E = 0x5000, F = 0x6000, X = 0x9000 };

static void write_rules(void)
{
    tg_begin(&g);
    tg_chunk(&g, 1); /* a later thread's block first: the reader sorts by time */
    tg_rec(&g, HS_TRACE_MALLOC, 15, 0, 0, 5000, E);
    tg_rec(&g, HS_TRACE_FREE, 35, 0, 0, 0, C);           /* thread 0's block */
    tg_rec(&g, HS_TRACE_MALLOC, 80, 0, 0, 64, D);        /* D was never freed */
    tg_rec(&g, HS_TRACE_REALLOC, 100, E, 0, 1 << 30, 0); /* fails: E stays */
    tg_chunk_end(&g);
    tg_chunk(&g, 0);
    tg_rec(&g, HS_TRACE_MALLOC, 10, 0, 0, 24, A);
    tg_rec(&g, HS_TRACE_MALLOC, 20, 0, 0, 100, B);
    tg_rec(&g, HS_TRACE_REALLOC, 30, B, 0, 200, C); /* B dropped, C new */
    tg_chunk_end(&g);
    tg_chunk(&g, 0);
    tg_rec(&g, HS_TRACE_FREE, 40, 0, 0, 0, A);
    tg_rec(&g, HS_TRACE_FREE, 50, 0, 0, 0, X);         /* never allocated */
    tg_rec(&g, HS_TRACE_MALLOC, 60, 0, 0, 1 << 20, 0); /* failed */
    tg_rec(&g, HS_TRACE_CALLOC, 70, 0, 0, 0, D);       /* zero bytes */
    tg_rec(&g, HS_TRACE_MALLOC, 90, 0, 0, 8, F);
    tg_rec(&g, HS_TRACE_REALLOC, 95, F, 0, 0, 0); /* realloc(F, 0) frees F */
    tg_chunk_end(&g);
    tg_end(&g);
    save(g.len);
}

START_TEST(test_rules)
{
    write_rules();
    /* Allocated: A B C D E D' F; dropped: B A C D F; X unknown; two failures. */
    counts want = {.records = 13,
                   .threads = 2,
                   .allocs = 7,
                   .bytes = 24 + 100 + 200 + 0 + 5000 + 64 + 8,
                   .frees = 5,
                   .unknown = 1,
                   .failed = 2};
    for (int procs = 1; procs <= 2; procs++) {
        counts got = replay(procs, 100);
        expect_counts(&got, &want);
    }
    unlink(path);
}
END_TEST

/* ---- a random trace of four threads ---------------------------------------------------- */

#define RT_THREADS 4
#define RT_STEPS 20000
#define RT_CHUNK 50

typedef struct rt_event {
    uint32_t thread;
    int op;
    uint64_t size, addr;
} rt_event;

typedef struct rt_block {
    uint64_t addr, size;
} rt_block;

static rt_event events[RT_STEPS];

/* Blocks freed by any thread; addresses reused once freed. */
static counts generate(void)
{
    static rt_block live[RT_STEPS];
    static uint64_t pool[RT_STEPS];
    size_t nlive = 0, npool = 0;
    uint64_t next = 0x100000;
    counts c = {.records = RT_STEPS, .threads = RT_THREADS};
    wl_rand r;
    wl_rand_seed(&r, 7, 0);
    for (size_t i = 0; i < RT_STEPS; i++) {
        rt_event *e = &events[i];
        e->thread = (uint32_t)wl_rand_below(&r, RT_THREADS);
        if (nlive > 0 && wl_rand_below(&r, 100) < 45) {
            size_t k = (size_t)wl_rand_below(&r, nlive);
            *e = (rt_event){e->thread, HS_TRACE_FREE, 0, live[k].addr};
            pool[npool++] = live[k].addr;
            live[k] = live[--nlive];
            c.frees++;
            continue;
        }
        uint64_t size = wl_rand_below(&r, 100) == 0 ? 40000 : 1 + wl_rand_below(&r, 2000);
        uint64_t addr = npool > 0 && wl_rand_below(&r, 2) ? pool[--npool] : (next += 0x10000);
        *e = (rt_event){e->thread, HS_TRACE_MALLOC, size, addr};
        live[nlive++] = (rt_block){addr, size};
        c.allocs++;
        c.bytes += size;
    }
    return c;
}

/* Thread by thread, last thread first, in blocks of RT_CHUNK records. */
static void write_random(void)
{
    tg_begin(&g);
    for (int t = RT_THREADS - 1; t >= 0; t--) {
        int in_chunk = 0;
        for (size_t i = 0; i < RT_STEPS; i++) {
            const rt_event *e = &events[i];
            if (e->thread != (uint32_t)t)
                continue;
            if (in_chunk == 0)
                tg_chunk(&g, (uint32_t)t);
            tg_rec(&g, e->op, 100 + 10 * i, 0, 0, e->size, e->addr);
            if (++in_chunk == RT_CHUNK) {
                tg_chunk_end(&g);
                in_chunk = 0;
            }
        }
        if (in_chunk > 0)
            tg_chunk_end(&g);
    }
    tg_end(&g);
    save(g.len);
}

START_TEST(test_random_threads)
{
    counts want = generate();
    write_random();
    for (int procs = 1; procs <= 3; procs++) {
        counts got = replay(procs, 10);
        expect_counts(&got, &want);
    }
    unlink(path);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("trace workload");
    TCase *tc = tcase_create("trace");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_params);
    tcase_add_test(tc, test_decimals);
    tcase_add_test(tc, test_bad_files);
    tcase_add_test(tc, test_rules);
    tcase_add_test(tc, test_random_threads);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
