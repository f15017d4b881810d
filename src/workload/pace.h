/*
 * pace.h — the schedule clock of paced scenarios (pace.c): how long a P
 * waits for the next point of its schedule, with stopped time forgiven.
 *
 * Internal to src/workload/.  The clock is passed in, so the rule is a pure
 * function of (schedule point, clock reading, what was forgiven before) and
 * tests drive it with a clock of their own.
 */
#ifndef HS_WORKLOAD_PACE_H
#define HS_WORKLOAD_PACE_H

#include <stdint.h>

/* The most a schedule runs behind the clock before it is moved later: a
 * stall shorter than this is caught up, a longer one forgiven. */
#define WL_PACE_MAX_LAG_NS 100000000LL /* 100 ms */

/* One P's schedule clock; zero is a schedule that starts with the run. */
typedef struct wl_pace {
    int64_t forgiven; /* ns the schedule was moved later; only grows */
} wl_pace;

/* Nanoseconds until the schedule reaches at_ns, with the clock at now_ns
 * (both from the run's start); 0 or less: at_ns is due.  A schedule found
 * more than WL_PACE_MAX_LAG_NS behind is moved later so at_ns is due now. */
int64_t wl_pace_ahead(wl_pace *p, int64_t at_ns, int64_t now_ns);

#endif
