/*
 * test_web.c — the web scenario: a fixed number of requests on 1 and 2 Ps
 * under the checkmark verifier with every request, cache hit, eviction and
 * the final cache walk checked; the load schedule fills and drains the
 * requests in flight, and the heap goal follows (GC inline, so the numbers
 * are exact); a paced run stops at its deadline; a cache larger than
 * max_heap ends in out-of-memory with no check failed.
 */
#include <config.h>

#include "wlutil.h"

#include <stdio.h>
#include <string.h>

#define SPEC "web:pace=0,period=1"

START_TEST(test_verified)
{
    for (int nprocs = 1; nprocs <= 2; nprocs++) {
        wl_outcome o;
        wl_expect_verified(SPEC ",rate=2000,cache=1MiB,requests=3000", nprocs, &o);
        ck_assert_uint_eq(o.res.ops, 3000 * (uint64_t)nprocs);
        ck_assert_uint_ge(o.res.checks_passed, o.res.ops); /* each request, when it retires */
        char want[64];
        snprintf(want, sizeof want, "web: %d requests", 3000 * nprocs);
        ck_assert_msg(strstr(o.out, want) != NULL, "report: %s", o.out);
        wl_outcome_free(&o);
    }
}
END_TEST

/* The report's samples: load, requests in flight, heap goal. */
typedef struct row {
    double t, load;
    unsigned long inflight;
    double goal;
} row;

static size_t parse_rows(const char *text, row *rows, size_t max)
{
    size_t n = 0;
    for (const char *line = text; line != NULL && n < max; line = strchr(line, '\n')) {
        line += *line == '\n';
        double wall, alloc;
        if (sscanf(line, " %lfs %lfs %lf%% %lu %lf MiB %lf MiB", &rows[n].t, &wall, &rows[n].load,
                   &rows[n].inflight, &alloc, &rows[n].goal) == 6)
            n++;
    }
    return n;
}

START_TEST(test_load_rises_and_falls)
{
    wl_outcome o =
        wl_run_inline(SPEC ",rate=4000,latency=25,requests=12000,cache=512KiB,request=16KiB", 42);
    row rows[64];
    size_t n = parse_rows(o.out, rows, 64);
    ck_assert_msg(n >= 30, "%zu samples in: %s", n, o.out); /* 8 a period, ~5 periods */
    double peak = 0, trough = 0, goal_peak = 0, goal_trough = 0;
    int npeak = 0, ntrough = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].t < 1.0)
            continue; /* the first period starts empty */
        if (rows[i].load > 99) {
            peak += (double)rows[i].inflight;
            goal_peak += rows[i].goal;
            npeak++;
        } else if (rows[i].load < 11) {
            trough += (double)rows[i].inflight;
            goal_trough += rows[i].goal;
            ntrough++;
        }
    }
    ck_assert_int_gt(npeak, 2);
    ck_assert_int_gt(ntrough, 2);
    /* Little's law: about 100 in flight at the peak, 10 at the trough. */
    ck_assert_msg(peak / npeak > 5 * (trough / ntrough), "in flight: peak %.0f, trough %.0f",
                  peak / npeak, trough / ntrough);
    ck_assert_msg(goal_peak / npeak > 1.5 * (goal_trough / ntrough),
                  "heap goal: peak %.1f MiB, trough %.1f MiB", goal_peak / npeak,
                  goal_trough / ntrough);
    wl_outcome_free(&o);
}
END_TEST

/* GOGC=off and no memory limit: the report's heap goal column says there
 * is none, not the runtime's "never" (UINT64_MAX bytes) as MiB. */
START_TEST(test_no_goal_with_gogc_off)
{
    wl_outcome o;
    wl_run(SPEC ",rate=2000,cache=1MiB,requests=500", 1, -1, 0, 0, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "end %s (%s)", hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_msg(strstr(o.out, " MiB       none ") != NULL, "report: %s", o.out);
    ck_assert_msg(strstr(o.out, "17592186044416") == NULL, "report: %s", o.out);
    wl_outcome_free(&o);
}
END_TEST

START_TEST(test_until_deadline)
{
    wl_outcome o;
    wl_run("web:rate=500,cache=256KiB", 2, 100, 0, 1000 * WL_MS, &o);
    ck_assert_msg(o.res.end == HS_END_FINISHED, "end %s (%s)", hs_workload_end_name(o.res.end),
                  o.res.message);
    ck_assert_uint_eq(o.res.checks_failed, 0);
    /* Paced, it never runs ahead of the clock: about 2 * 1 s * 500/s * 10%
     * requests were due, far fewer than it could serve (tests/workload/
     * test_pace.c checks the pacing itself on a clock of its own; a second
     * leaves a loaded machine time to serve some). */
    ck_assert_uint_gt(o.res.ops, 0);
    ck_assert_uint_lt(o.res.ops, 3000);
    wl_outcome_free(&o);
}
END_TEST

START_TEST(test_out_of_memory)
{
    wl_expect_oom("web:pace=0,cache=64MiB,requests=100000", 2, 8 << 20);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("web");
    TCase *tc = tcase_create("web");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_verified);
    tcase_add_test(tc, test_load_rises_and_falls);
    tcase_add_test(tc, test_no_goal_with_gogc_off);
    tcase_add_test(tc, test_until_deadline);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
