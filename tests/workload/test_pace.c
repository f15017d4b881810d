/*
 * test_pace.c — the schedule clock of paced scenarios (src/workload/pace.c),
 * driven by a clock of the test's own: a schedule of one arrival a
 * millisecond, run by a P that does each arrival in no time once it is due.
 */
#include "workload/pace.h"
#include "testutil.h"

#define MS 1000000LL
#define S (1000 * MS)

/* A P on a simulated clock: it runs each due arrival at once and, when the
 * next one is ahead, sleeps exactly until it. */
typedef struct sim {
    wl_pace pace;
    int64_t now;  /* the clock, ns from the run's start */
    int64_t next; /* the next arrival's schedule time */
} sim;

/* Run arrivals until the clock reaches until; how many ran at once, without
 * a wait before them (caught up). */
static int64_t run_until(sim *m, int64_t until)
{
    int64_t at_once = 0;
    while (m->now < until) {
        int64_t ahead = wl_pace_ahead(&m->pace, m->next, m->now);
        if (ahead > 0)
            m->now += ahead;
        else
            at_once++;
        m->next += MS;
    }
    return at_once;
}

/* How many arrivals run in the wall-clock window [from, to). */
static int64_t arrivals_in(sim *m, int64_t from, int64_t to)
{
    run_until(m, from);
    int64_t before = m->next;
    run_until(m, to);
    return (m->next - before) / MS;
}

START_TEST(test_on_time)
{
    sim m = {.next = MS};
    ck_assert_int_eq(run_until(&m, 2 * S), 0);
    ck_assert_int_eq(m.pace.forgiven, 0);
    ck_assert_int_eq(wl_pace_ahead(&m.pace, m.next, m.now), m.next - m.now);
}
END_TEST

/* 15 s stopped (a pause, a step hold, Ctrl-Z): the next second after it
 * runs a second's arrivals, not the 15 s missed on top. */
START_TEST(test_long_stop_forgiven)
{
    sim m = {.next = MS};
    run_until(&m, 5 * S);
    m.now += 15 * S;
    int64_t first = run_until(&m, m.now + 1);
    ck_assert_int_le(first, 1);
    ck_assert_int_ge(m.pace.forgiven, 15 * S - WL_PACE_MAX_LAG_NS);
    ck_assert_int_le(m.pace.forgiven, 15 * S);
    int64_t n = arrivals_in(&m, m.now, m.now + S);
    ck_assert_int_ge(n, 999);
    ck_assert_int_le(n, 1001);
}
END_TEST

/* A short stall, under the bound, is caught up arrival for arrival. */
START_TEST(test_short_stall_caught_up)
{
    sim m = {.next = MS};
    run_until(&m, S);
    m.now += WL_PACE_MAX_LAG_NS / 2;
    int64_t at_once = run_until(&m, m.now + 1);
    ck_assert_int_ge(at_once, WL_PACE_MAX_LAG_NS / 2 / MS - 1);
    ck_assert_int_eq(m.pace.forgiven, 0);
    ck_assert_int_le(m.next, m.now + MS);
}
END_TEST

/* Every arrival is due when the call says so: the lag after a call never
 * exceeds the bound, whatever the clock did. */
START_TEST(test_lag_bounded)
{
    wl_pace p = {0};
    int64_t now = 0;
    for (int64_t at = 0; at < 10 * S; at += 7 * MS) {
        now += (at / MS) % 3 == 0 ? 250 * MS : 1 * MS; /* a clock that jumps */
        int64_t ahead = wl_pace_ahead(&p, at, now);
        ck_assert_int_ge(ahead, -WL_PACE_MAX_LAG_NS);
        if (ahead > 0)
            now += ahead;
    }
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("pace");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_on_time);
    tcase_add_test(tc, test_long_stop_forgiven);
    tcase_add_test(tc, test_short_stall_caught_up);
    tcase_add_test(tc, test_lag_bounded);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
