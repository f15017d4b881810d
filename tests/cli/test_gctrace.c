/*
 * test_gctrace.c — hs_gctrace_format on canned cycles against exact lines.
 *
 * The expected lines were produced by Go's own code: gcMarkTermination's
 * print sequence with itoaDiv and fmtNSAsMS copied from Go 1.26's mgc.go into
 * a Go program and fed the same values.  They cover Go's number formatting
 * at every magnitude (0, 0.001, 0.048, 0.10, 0.99, 2.0, 9.9, 10, 11, 123,
 * 1975 ms), truncation of the start time and the CPU percentage, the MB
 * shift, CPU of the pauses multiplied by the Ps, and " (forced)".
 */
#include <config.h>

#include "heapscope/cli.h"

#include "../testutil.h"

#include <string.h>

#define MiB ((uint64_t)1 << 20)

static void expect_line(const hs_gc_cycle *c, const char *want)
{
    char buf[512];
    int n = hs_gctrace_format(buf, sizeof buf, c);
    ck_assert_str_eq(buf, want);
    ck_assert_int_eq(n, (int)strlen(want));
}

START_TEST(test_go_example)
{
    /* GO-RUNTIME.md §12's line, seen from Go 1.19 running binary-trees. */
    hs_gc_cycle c = {
        .n = 86,
        .start_ns = 1929600000,
        .gc_cpu_fraction = 0.079,
        .stw1_ns = 48500,
        .mark_ns = 11400000,
        .stw2_ns = 85300,
        .assist_ns = 89000,
        .dedicated_ns = 1500000,
        .fractional_ns = 500000,
        .idle_ns = 10000000,
        .heap_start = 35 * MiB + 123,
        .heap_end = 39 * MiB - 1,
        .heap_marked = 14 * MiB,
        .heap_goal = 41 * MiB,
        .stacks = 1000,
        .globals = 4096,
        .procs = 2,
    };
    expect_line(&c, "gc 86 @1.929s 7%: 0.048+11+0.085 ms clock, 0.097+0.089/2.0/10+0.17 ms cpu, "
                    "35->38->14 MB, 41 MB goal, 0 MB stacks, 0 MB globals, 2 P\n");
}
END_TEST

START_TEST(test_forced_and_zero)
{
    hs_gc_cycle c = {
        .n = 1,
        .forced = true,
        .stw1_ns = 999,
        .heap_start = 4 * MiB,
        .heap_end = 4 * MiB,
        .heap_goal = 4 * MiB,
        .procs = 1,
    };
    expect_line(&c, "gc 1 @0.000s 0%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 4->4->0 MB, 4 MB goal, "
                    "0 MB stacks, 0 MB globals, 1 P (forced)\n");
}
END_TEST

START_TEST(test_magnitudes)
{
    hs_gc_cycle c = {
        .n = 12345,
        .forced = true,
        .start_ns = 123456789012,
        .gc_cpu_fraction = 1.0,
        .stw1_ns = 1000,
        .mark_ns = 9999999,
        .stw2_ns = 123456789,
        .assist_ns = 100000,
        .dedicated_ns = 999999,
        .fractional_ns = 0,
        .idle_ns = 12345,
        .heap_start = (uint64_t)1 << 40,
        .heap_end = (uint64_t)3 << 30,
        .heap_marked = MiB - 1,
        .heap_goal = (uint64_t)5 << 30,
        .stacks = 3 * MiB,
        .globals = 7 * MiB + 5,
        .procs = 16,
    };
    expect_line(&c, "gc 12345 @123.456s 100%: 0.001+9.9+123 ms clock, "
                    "0.016+0.10/0.99/0.012+1975 ms cpu, 1048576->3072->0 MB, 5120 MB goal, "
                    "3 MB stacks, 7 MB globals, 16 P (forced)\n");
}
END_TEST

START_TEST(test_boundaries)
{
    hs_gc_cycle c = {
        .n = 7,
        .start_ns = 5000000,
        .gc_cpu_fraction = 0.2599,
        .stw1_ns = 10000000,
        .mark_ns = 10000001,
        .stw2_ns = 9999,
        .assist_ns = 99999,
        .dedicated_ns = 1000000,
        .fractional_ns = 50000,
        .idle_ns = 100,
        .heap_start = 100 * MiB,
        .heap_end = 101 * MiB,
        .heap_marked = 50 * MiB,
        .heap_goal = 200 * MiB,
        .procs = 4,
    };
    expect_line(&c, "gc 7 @0.005s 25%: 10+10+0.009 ms clock, 40+0.099/1.0/0+0.039 ms cpu, "
                    "100->101->50 MB, 200 MB goal, 0 MB stacks, 0 MB globals, 4 P\n");
}
END_TEST

START_TEST(test_negative_is_zero)
{
    hs_gc_cycle c = {.n = 2, .start_ns = -5, .stw1_ns = -1, .mark_ns = -1000000, .procs = 1};
    expect_line(&c, "gc 2 @0.000s 0%: 0+0+0 ms clock, 0+0/0/0+0 ms cpu, 0->0->0 MB, 0 MB goal, "
                    "0 MB stacks, 0 MB globals, 1 P\n");
}
END_TEST

START_TEST(test_truncates_like_snprintf)
{
    hs_gc_cycle c = {.n = 3, .procs = 1};
    char small[10];
    int n = hs_gctrace_format(small, sizeof small, &c);
    ck_assert_str_eq(small, "gc 3 @0.0");
    ck_assert_int_gt(n, (int)sizeof small);
}
END_TEST

/* --gctrace=2: Go 1.26's dumpScanStats lines, for both marking modes. */
START_TEST(test_scan_lines)
{
    static hs_gc_cycle c; /* big: keep it off the stack */
    memset(&c, 0, sizeof c);
    c.gcmode = HS_GC_GREENTEA;
    c.scan = (hs_scan_stats){.objs_single = 4, .span_objs_sparse = 10, .span_objs_dense = 200,
                             .spans_sparse = 2, .spans_dense = 4, .spans_one = 3};
    c.scan_by_class[0] = (hs_scan_stats){.objs_single = 1};
    c.scan_by_class[2] = (hs_scan_stats){.objs_single = 3, .span_objs_sparse = 10,
                                         .span_objs_dense = 200, .spans_sparse = 2,
                                         .spans_dense = 4, .spans_one = 3};
    char buf[1024];
    const char *want = "scan: total 4+10+200=214 objs, 2+4=6 spans\n"
                       "scan: class L 1+0+0=1 objs, 0+0=0 spans\n"
                       "scan: class 16B 3+10+200=213 objs, 2+4=6 spans\n";
    ck_assert_int_eq(hs_gctrace_scan_format(buf, sizeof buf, &c), (int)strlen(want));
    ck_assert_str_eq(buf, want);
    memset(&c, 0, sizeof c);
    c.gcmode = HS_GC_CLASSIC;
    c.scan.objs_single = 7;
    c.scan_by_class[0].objs_single = 2;
    c.scan_by_class[5].objs_single = 5;
    want = "scan: total 7 objs\nscan: class L 2 objs\nscan: class 48B 5 objs\n";
    ck_assert_int_eq(hs_gctrace_scan_format(buf, sizeof buf, &c), (int)strlen(want));
    ck_assert_str_eq(buf, want);
    /* As snprintf: cut to the buffer, the full length returned. */
    ck_assert_int_eq(hs_gctrace_scan_format(buf, 10, &c), (int)strlen(want));
    ck_assert_str_eq(buf, "scan: tot");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("gctrace");
    TCase *tc = tcase_create("format");
    tcase_add_test(tc, test_go_example);
    tcase_add_test(tc, test_forced_and_zero);
    tcase_add_test(tc, test_magnitudes);
    tcase_add_test(tc, test_boundaries);
    tcase_add_test(tc, test_negative_is_zero);
    tcase_add_test(tc, test_truncates_like_snprintf);
    tcase_add_test(tc, test_scan_lines);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
