/*
 * gctrace.c — one line per GC cycle in exactly the format of Go's
 * GODEBUG=gctrace=1 (Go: mgc.go gcMarkTermination, documented in extern.go):
 *
 *   gc 86 @1.929s 7%: 0.048+11+0.085 ms clock, 0.097+0.089/2.0/10+0.17 ms cpu,
 *       35->38->14 MB, 41 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)
 *
 * (one line in reality).  The fields, in Go's order: cycle number; seconds
 * since the runtime started, to the millisecond (truncated); percent of CPU
 * spent in GC since start (truncated); wall time of sweep termination, mark,
 * mark termination; CPU of sweep termination (its wall time x P), mark assist,
 * background mark (dedicated + fractional), idle mark, mark termination (wall
 * x P); heap at start, at end, marked; goal; stacks and globals scanned;
 * number of Ps.  Byte counts are shifted down by 20, as Go does.
 *
 * With --gctrace=2, Go's scan statistics follow each line (Go 1.26
 * dumpScanStats, under debug.gctrace > 1): a total, then one line per size
 * class that scanned anything ("L" for large objects).  Green Tea:
 *
 *   scan: total 120+30+4000=4150 objs, 6+20=26 spans
 *   scan: class 16B 0+30+4000=4030 objs, 6+20=26 spans
 *
 * objects scanned singly + in sparse span scans + in dense span scans, and
 * sparse + dense span scans.  Classic marking ("nogreenteagc"):
 *
 *   scan: total 4150 objs
 *   scan: class 16B 4030 objs
 *
 * Durations are formatted by Go's fmtNSAsMS: 10 ms and more as whole
 * milliseconds; below that two significant digits with at most three
 * decimals (0.048, 0.17, 2.0); under a microsecond "0".  itoa_div is Go's
 * itoaDiv.
 */
#include <config.h>

#include "heapscope/cli.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

#define NUMBUF 32 /* 20 digits, a point, a leading zero and the NUL */

/* Go's itoaDiv: val / 10^dec with dec digits after the point, written at the
 * end of buf[NUMBUF]; returns where it starts. */
static const char *itoa_div(char *buf, uint64_t val, int dec)
{
    int i = NUMBUF - 2, idec = i - dec;
    buf[NUMBUF - 1] = '\0';
    while (val >= 10 || i >= idec) {
        buf[i--] = (char)('0' + val % 10);
        if (i == idec)
            buf[i--] = '.';
        val /= 10;
    }
    buf[i] = (char)('0' + val);
    return buf + i;
}

/* Go's fmtNSAsMS. */
static const char *fmt_ns_as_ms(char *buf, int64_t signed_ns)
{
    uint64_t ns = signed_ns > 0 ? (uint64_t)signed_ns : 0;
    if (ns >= 10000000)
        return itoa_div(buf, ns / 1000000, 0);
    uint64_t x = ns / 1000;
    if (x == 0)
        return strcpy(buf, "0");
    int dec = 3;
    while (x >= 100) {
        x /= 10;
        dec--;
    }
    return itoa_div(buf, x, dec);
}

#define MB(bytes) ((bytes) >> 20)

int hs_gctrace_format(char *buf, size_t n, const hs_gc_cycle *c)
{
    char at[NUMBUF], w[3][NUMBUF], cpu[5][NUMBUF];
    int64_t procs = c->procs;
    uint64_t start_ms = c->start_ns > 0 ? (uint64_t)c->start_ns / 1000000 : 0;
    int util = (int)(c->gc_cpu_fraction * 100);
    return snprintf(buf, n,
                    "gc %" PRIu32 " @%ss %d%%: %s+%s+%s ms clock, %s+%s/%s/%s+%s ms cpu, "
                    "%" PRIu64 "->%" PRIu64 "->%" PRIu64 " MB, %" PRIu64 " MB goal, %" PRIu64
                    " MB stacks, %" PRIu64 " MB globals, %d P%s\n",
                    c->n, itoa_div(at, start_ms, 3), util, fmt_ns_as_ms(w[0], c->stw1_ns),
                    fmt_ns_as_ms(w[1], c->mark_ns), fmt_ns_as_ms(w[2], c->stw2_ns),
                    fmt_ns_as_ms(cpu[0], c->stw1_ns * procs), fmt_ns_as_ms(cpu[1], c->assist_ns),
                    fmt_ns_as_ms(cpu[2], c->dedicated_ns + c->fractional_ns),
                    fmt_ns_as_ms(cpu[3], c->idle_ns), fmt_ns_as_ms(cpu[4], c->stw2_ns * procs),
                    MB(c->heap_start), MB(c->heap_end), MB(c->heap_marked), MB(c->heap_goal),
                    MB(c->stacks), MB(c->globals), c->procs, c->forced ? " (forced)" : "");
}

/* Append to buf[n] at *at as snprintf would, keeping *at the length needed. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t n, size_t *at,
                                                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(*at < n ? buf + *at : NULL, *at < n ? n - *at : 0, fmt, ap);
    va_end(ap);
    if (k > 0)
        *at += (size_t)k;
}

static void scan_counts(char *buf, size_t n, size_t *at, const hs_scan_stats *st, bool greentea)
{
    if (!greentea) {
        append(buf, n, at, "%" PRIu64 " objs\n", st->objs_single);
        return;
    }
    append(buf, n, at,
           "%" PRIu64 "+%" PRIu64 "+%" PRIu64 "=%" PRIu64 " objs, %" PRIu64 "+%" PRIu64 "=%" PRIu64
           " spans\n",
           st->objs_single, st->span_objs_sparse, st->span_objs_dense,
           st->objs_single + st->span_objs_sparse + st->span_objs_dense, st->spans_sparse,
           st->spans_dense, st->spans_sparse + st->spans_dense);
}

static bool scan_zero(const hs_scan_stats *st, bool greentea)
{
    if (!greentea)
        return st->objs_single == 0;
    return st->objs_single == 0 && st->span_objs_sparse == 0 && st->span_objs_dense == 0 &&
           st->spans_sparse == 0 && st->spans_dense == 0;
}

int hs_gctrace_scan_format(char *buf, size_t n, const hs_gc_cycle *c)
{
    bool greentea = c->gcmode == HS_GC_GREENTEA;
    size_t at = 0;
    if (n > 0)
        buf[0] = '\0';
    append(buf, n, &at, "scan: total ");
    scan_counts(buf, n, &at, &c->scan, greentea);
    for (int i = 0; i < HS_NUM_SIZE_CLASSES; i++) {
        const hs_scan_stats *st = &c->scan_by_class[i];
        if (scan_zero(st, greentea))
            continue;
        if (i == 0)
            append(buf, n, &at, "scan: class L ");
        else
            append(buf, n, &at, "scan: class %" PRIu32 "B ", hs_class_to_size(i));
        scan_counts(buf, n, &at, st, greentea);
    }
    return (int)at;
}
