/*
 * summary.c — the summary a headless run prints on standard output: one
 * "label  value" line per fact, in a fixed order, so a person reads it at a
 * glance and a script can pick a line with grep.
 *
 *   workload      binary-trees depth=18 (seed 1)
 *   outcome       finished, 2796 operations
 *   Ps            2
 *   GOGC          100, memory limit none, max heap none
 *   wall time     1.962 s
 *   GC cycles     87 (0 forced)
 *   marking       classic: 3101834 objects scanned
 *   STW pauses    174: max 0.090 ms, p50 0.031 ms, p99 0.088 ms
 *   peak heap     HeapAlloc 38.2 MiB, HeapInuse 40.1 MiB
 *   final heap    HeapAlloc 8.1 MiB, HeapInuse 8.4 MiB
 *   peak RSS      45.3 MiB
 *   checks        OK (2797 passed)
 *
 * For a running Go program (s->attached, set from the snapshots' source,
 * HS_SOURCE_ATTACH) the lines it cannot fill are left out or say so: no
 * memory limit, no scan counts, no checks.
 */
#include <config.h>

#include "heapscope/cli.h"

#include "cli/sizes.h"

#include <inttypes.h>
#include <stdarg.h>

#define LABEL_WIDTH 14

static double ms_of(int64_t ns)
{
    return (double)ns / 1e6;
}

__attribute__((format(printf, 3, 4))) static void line(FILE *out, const char *label,
                                                       const char *fmt, ...)
{
    va_list ap;
    fprintf(out, "%-*s", LABEL_WIDTH, label);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

static void print_limits(FILE *out, const hs_run_stats *s)
{
    char gogc[16], lim[32], cap[32];
    if (s->gogc < 0)
        snprintf(gogc, sizeof gogc, "off");
    else
        snprintf(gogc, sizeof gogc, "%d", s->gogc);
    if (s->attached) { /* the snapshot carries no GOMEMLIMIT; Go has no hard cap */
        line(out, "GOGC", "%s", gogc);
        return;
    }
    line(out, "GOGC", "%s, memory limit %s, max heap %s", gogc,
         cli_fmt_bytes(lim, sizeof lim, s->memory_limit, true),
         cli_fmt_bytes(cap, sizeof cap, s->max_heap, true));
}

static void print_gc(FILE *out, const hs_run_stats *s)
{
    const hs_pause_stats *p = &s->pauses;
    line(out, "GC cycles", "%" PRIu32 " (%" PRIu32 " forced)", s->gc.cycles, s->gc.forced);
    if (p->count == 0)
        line(out, "STW pauses", "none");
    else
        line(out, "STW pauses", "%" PRIu64 ": max %.3f ms, p50 %.3f ms, p99 %.3f ms", p->count,
             ms_of(p->max_ns), ms_of(p->p50_ns), ms_of(p->p99_ns));
}

/* What marking did: objects, or for Green Tea spans and objects.  A running
 * Go program keeps no scan counts heapscope can read: its line names the
 * marking in the live view's words (src/ui/gcbar.c) and says so. */
static void print_marking(FILE *out, const hs_run_stats *s)
{
    const hs_scan_stats *t = &s->gc.scan;
    if (s->attached) {
        line(out, "marking", "%s; scan counts not readable from a running Go program",
             s->gc.gcmode == HS_GC_GREENTEA ? "Green Tea marking (Go 1.26+)"
                                            : "classic marking (Go ≤ 1.25)");
        return;
    }
    if (s->gc.gcmode != HS_GC_GREENTEA) {
        line(out, "marking", "classic: %" PRIu64 " objects scanned", t->objs_single);
        return;
    }
    line(out, "marking",
         "Green Tea: %" PRIu64 " span scans (%" PRIu64 " one-mark, %" PRIu64 " sparse, %" PRIu64
         " dense, %" PRIu64 " stolen); objects scanned %" PRIu64 " singly, %" PRIu64 " in spans",
         t->spans_one + t->spans_sparse + t->spans_dense, t->spans_one, t->spans_sparse,
         t->spans_dense, s->gc.span_steals, t->objs_single,
         t->span_objs_sparse + t->span_objs_dense);
}

static void print_memory(FILE *out, const hs_run_stats *s)
{
    char a[32], b[32];
    line(out, "peak heap", "HeapAlloc %s, HeapInuse %s",
         cli_fmt_bytes(a, sizeof a, s->peak_heap_alloc, false),
         cli_fmt_bytes(b, sizeof b, s->peak_heap_inuse, false));
    line(out, "final heap", "HeapAlloc %s, HeapInuse %s",
         cli_fmt_bytes(a, sizeof a, s->mem.HeapAlloc, false),
         cli_fmt_bytes(b, sizeof b, s->mem.HeapInuse, false));
    if (s->peak_rss == 0)
        line(out, "peak RSS", "unknown");
    else
        line(out, "peak RSS", "%s", cli_fmt_bytes(a, sizeof a, s->peak_rss, false));
}

static void print_checks(FILE *out, const hs_run_stats *s)
{
    uint64_t all = s->checks_passed + s->checks_failed;
    if (s->checks_failed == 0)
        line(out, "checks", "OK (%" PRIu64 " passed)", s->checks_passed);
    else
        line(out, "checks", "FAILED (%" PRIu64 " of %" PRIu64 " failed)", s->checks_failed, all);
    if (s->verify)
        line(out, "verifier", "%s", s->verify_failed ? "FAILED" : "OK");
}

void hs_summary_print(FILE *out, const hs_run_stats *s)
{
    if (s->attached) {
        line(out, "program", "%s", s->workload);
        line(out, "outcome", "%s, %" PRIu64 " frames read", s->outcome, s->ops);
    } else {
        line(out, "workload", "%s (seed %" PRIu64 ")", s->workload, s->seed);
        line(out, "outcome", "%s, %" PRIu64 " operations", s->outcome, s->ops);
    }
    line(out, "Ps", "%d", s->procs);
    print_limits(out, s);
    line(out, "wall time", "%.3f s", (double)s->wall_ns / 1e9);
    print_gc(out, s);
    print_marking(out, s);
    print_memory(out, s);
    if (!s->attached)
        print_checks(out, s);
}
