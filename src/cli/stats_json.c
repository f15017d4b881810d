/*
 * stats_json.c — --stats-json: a run's final statistics as one JSON object.
 *
 * Keys are Go's runtime/metrics names wherever Go has the quantity, computed
 * from MemStats as Go's metrics.go computes them:
 *
 *   /gc/heap/allocs:objects   Mallocs - TinyAllocs (Go counts tiny blocks apart)
 *   /gc/heap/frees:objects    Frees - TinyAllocs
 *   /gc/heap/frees:bytes      TotalAlloc - HeapAlloc
 *   /memory/classes/heap/free:bytes     HeapIdle - HeapReleased
 *   /memory/classes/heap/unused:bytes   HeapInuse - HeapAlloc
 *   /cpu/classes/gc/mark/dedicated      dedicated + fractional workers
 *   /cpu/classes/gc/pause               STW time x GOMAXPROCS
 *   /gc/gomemlimit:bytes      math.MaxInt64 when there is no limit, as in Go
 *   /gc/gogc:percent          -1 for off (Go stores -1; its metric shows it
 *                             as an unsigned number)
 *
 * For a running Go program (s->attached) a key whose value heapscope does
 * not read from it (the memory limit, the metadata and total memory, the
 * mark workers' CPU, the scan counts) is null, never a made-up 0.
 *
 * heapscope's own keys have no slash: workload, outcome, procs, seed,
 * wall_seconds, peak_rss_bytes, peak_heap_*, operations, checks, pauses,
 * gcmode and scan (hs_scan_stats of all cycles, and span_steals).
 * Strings are escaped per RFC 8259.
 */
#include <config.h>

#include "heapscope/cli.h"

#include <inttypes.h>

#define GO_MAX_MEMLIMIT INT64_MAX

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void key_u64(FILE *f, const char *key, uint64_t v)
{
    fprintf(f, ",\n  \"%s\": %" PRIu64, key, v);
}

static void key_i64(FILE *f, const char *key, int64_t v)
{
    fprintf(f, ",\n  \"%s\": %" PRId64, key, v);
}

static void key_null(FILE *f, const char *key)
{
    fprintf(f, ",\n  \"%s\": null", key);
}

static void key_seconds(FILE *f, const char *key, int64_t ns)
{
    fprintf(f, ",\n  \"%s\": %.9f", key, (double)ns / 1e9);
}

static uint64_t sub0(uint64_t a, uint64_t b)
{
    return a > b ? a - b : 0;
}

static void write_own(FILE *f, const hs_run_stats *s)
{
    fputs("{\n  \"workload\": ", f);
    json_string(f, s->workload);
    fputs(",\n  \"outcome\": ", f);
    json_string(f, s->outcome);
    key_i64(f, "procs", s->procs);
    key_u64(f, "seed", s->seed);
    key_seconds(f, "wall_seconds", s->wall_ns);
    key_u64(f, "peak_rss_bytes", s->peak_rss);
    key_u64(f, "peak_heap_alloc_bytes", s->peak_heap_alloc);
    key_u64(f, "peak_heap_inuse_bytes", s->peak_heap_inuse);
    key_u64(f, "operations", s->ops);
    fprintf(f, ",\n  \"checks\": {\"passed\": %" PRIu64 ", \"failed\": %" PRIu64 "}",
            s->checks_passed, s->checks_failed);
    fprintf(f, ",\n  \"verifier\": %s", !s->verify ? "null" : s->verify_failed ? "false" : "true");
    fprintf(f,
            ",\n  \"pauses\": {\"count\": %" PRIu64 ", \"max_ns\": %" PRId64
            ", \"p50_ns\": %" PRId64 ", \"p99_ns\": %" PRId64 ", \"total_ns\": %" PRId64 "}",
            s->pauses.count, s->pauses.max_ns, s->pauses.p50_ns, s->pauses.p99_ns,
            s->pauses.total_ns);
}

static void write_gc(FILE *f, const hs_run_stats *s)
{
    const hs_memstats *m = &s->mem;
    key_u64(f, "/gc/cycles/total:gc-cycles", s->gc.cycles);
    key_u64(f, "/gc/cycles/forced:gc-cycles", s->gc.forced);
    key_u64(f, "/gc/cycles/automatic:gc-cycles", sub0(s->gc.cycles, s->gc.forced));
    key_u64(f, "/gc/heap/allocs:bytes", m->TotalAlloc);
    key_u64(f, "/gc/heap/allocs:objects", sub0(m->Mallocs, m->TinyAllocs));
    key_u64(f, "/gc/heap/frees:bytes", sub0(m->TotalAlloc, m->HeapAlloc));
    key_u64(f, "/gc/heap/frees:objects", sub0(m->Frees, m->TinyAllocs));
    key_u64(f, "/gc/heap/goal:bytes", m->NextGC);
    key_u64(f, "/gc/heap/live:bytes", s->heap_live);
    key_u64(f, "/gc/heap/objects:objects", m->HeapObjects);
    key_u64(f, "/gc/heap/tiny/allocs:objects", m->TinyAllocs);
    key_i64(f, "/gc/gogc:percent", s->gogc < 0 ? -1 : s->gogc);
    if (s->attached) {
        key_null(f, "/gc/gomemlimit:bytes");
        return;
    }
    key_i64(f, "/gc/gomemlimit:bytes",
            s->memory_limit == 0 || s->memory_limit > GO_MAX_MEMLIMIT ? GO_MAX_MEMLIMIT
                                                                      : (int64_t)s->memory_limit);
}

static void write_memory(FILE *f, const hs_run_stats *s)
{
    const hs_memstats *m = &s->mem;
    key_u64(f, "/memory/classes/heap/objects:bytes", m->HeapAlloc);
    key_u64(f, "/memory/classes/heap/free:bytes", sub0(m->HeapIdle, m->HeapReleased));
    key_u64(f, "/memory/classes/heap/released:bytes", m->HeapReleased);
    key_u64(f, "/memory/classes/heap/unused:bytes", sub0(m->HeapInuse, m->HeapAlloc));
    if (s->attached) {
        key_null(f, "/memory/classes/metadata/mspan/inuse:bytes");
        key_null(f, "/memory/classes/metadata/mcache/inuse:bytes");
        key_null(f, "/memory/classes/total:bytes");
        return;
    }
    key_u64(f, "/memory/classes/metadata/mspan/inuse:bytes", m->MSpanInuse);
    key_u64(f, "/memory/classes/metadata/mcache/inuse:bytes", m->MCacheInuse);
    key_u64(f, "/memory/classes/total:bytes", m->Sys);
}

static void write_scan(FILE *f, const hs_run_stats *s)
{
    const hs_gc_summary *g = &s->gc;
    fprintf(f, ",\n  \"gcmode\": \"%s\"", g->gcmode == HS_GC_GREENTEA ? "greentea" : "classic");
    if (s->attached) {
        key_null(f, "scan");
        return;
    }
    fprintf(f,
            ",\n  \"scan\": {\"objs_single\": %" PRIu64 ", \"span_objs_sparse\": %" PRIu64
            ", \"span_objs_dense\": %" PRIu64 ", \"spans_one\": %" PRIu64
            ", \"spans_sparse\": %" PRIu64 ", \"spans_dense\": %" PRIu64
            ", \"span_steals\": %" PRIu64 "}",
            g->scan.objs_single, g->scan.span_objs_sparse, g->scan.span_objs_dense,
            g->scan.spans_one, g->scan.spans_sparse, g->scan.spans_dense, g->span_steals);
}

static void write_cpu(FILE *f, const hs_run_stats *s)
{
    const hs_gc_summary *g = &s->gc;
    if (s->attached) {
        key_null(f, "/cpu/classes/gc/mark/assist:cpu-seconds");
        key_null(f, "/cpu/classes/gc/mark/dedicated:cpu-seconds");
        key_null(f, "/cpu/classes/gc/mark/idle:cpu-seconds");
        key_seconds(f, "/cpu/classes/gc/pause:cpu-seconds", g->pause_total_ns * s->procs);
        return;
    }
    key_seconds(f, "/cpu/classes/gc/mark/assist:cpu-seconds", g->mark_assist_ns);
    key_seconds(f, "/cpu/classes/gc/mark/dedicated:cpu-seconds",
                g->mark_dedicated_ns + g->mark_fractional_ns);
    key_seconds(f, "/cpu/classes/gc/mark/idle:cpu-seconds", g->mark_idle_ns);
    key_seconds(f, "/cpu/classes/gc/pause:cpu-seconds", g->pause_total_ns * s->procs);
}

int hs_stats_json_write(FILE *f, const hs_run_stats *s)
{
    write_own(f, s);
    write_gc(f, s);
    write_memory(f, s);
    write_cpu(f, s);
    write_scan(f, s);
    fputs("\n}\n", f);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
