/*
 * pace.c — the schedule clock of paced scenarios: a P that keeps to the
 * wall clock and falls far behind it forgives the lost time, rather than run
 * the schedule it missed at full speed.
 *
 * Why.  A paced scenario (web and leak with pace on, trace at a speed) lays
 * its work out on a timeline of its own and waits (mut_pace) for the clock
 * to reach each point.  While the world is stopped — the live view's pause,
 * the step controller holding between phases, the whole process suspended
 * by Ctrl-Z or a debugger — the clock runs on and the scenario cannot.
 * Counted as schedule time, that stop is then run as fast as the Ps can go:
 * after a 15 s pause, seconds at three to five times the scenario's rate,
 * which no program being watched would do.
 *
 * The choice.  Two rules avoid it:
 *   (a) a pacing clock that leaves out the stopped intervals.  The runtime
 *       would have to account every way it stops the world (pause, step
 *       holds) and publish the sum, and a suspended process would still be
 *       missed: CLOCK_MONOTONIC runs on through SIGSTOP, so each kind of
 *       stop from outside would need catching by signal;
 *   (b) a bound on the lag: the schedule may run at most WL_PACE_MAX_LAG_NS
 *       behind the clock; a P found further behind moves its schedule later
 *       by the whole lag, so the point it is at is due now (it re-anchors).
 * heapscope takes (b).  It is one rule on the workload's side of the
 * runtime boundary, with no accounting asked of the runtime, and it treats
 * every stop alike, those heapscope makes and those it never hears of.
 * Short lags (a GC pause, a preempted thread, a slow refill) stay under the
 * bound and are caught up, as a server works off its queue, so over any
 * stretch without a long stop the rate is the schedule's.  A P that cannot
 * keep up at all re-anchors again and again and runs as fast as it can, as
 * it would without the rule.
 *
 * What is forgiven moves operations on the wall clock, never changes them:
 * each operation is decided by the schedule's own time, so the same seed
 * gives the same allocations, stopped or not.
 *
 * Invariants: forgiven only grows; after wl_pace_ahead returns,
 * now_ns - (at_ns + forgiven) <= WL_PACE_MAX_LAG_NS.  Each P owns its
 * wl_pace (in its mut_ctx): no lock.  Ps re-anchor on their own; a stop
 * stops them all, so they move by nearly the same amount.
 */
#include <config.h>

#include "workload/pace.h"

int64_t wl_pace_ahead(wl_pace *p, int64_t at_ns, int64_t now_ns)
{
    int64_t behind = now_ns - (at_ns + p->forgiven);
    if (behind > WL_PACE_MAX_LAG_NS)
        p->forgiven += behind;
    return at_ns + p->forgiven - now_ns;
}
