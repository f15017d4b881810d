/*
 * test_report.c — what a headless run reports: pause percentiles, the summary
 * text, and the --stats-json object (parsed back with a small strict JSON
 * reader, which also collects the top-level keys so every required
 * runtime/metrics name can be looked up with its value).
 */
#include <config.h>

#include "heapscope/cli.h"

#include "../testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a strict little JSON reader ------------------------------------------------ */

#define MAX_KEYS 64

typedef struct json {
    const char *p;
    int depth;
    int nkeys;
    char keys[MAX_KEYS][64];    /* top-level keys */
    const char *vals[MAX_KEYS]; /* where each top-level value starts */
} json;

static bool j_value(json *j);

static void j_ws(json *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
        j->p++;
}

static bool j_string(json *j, char *out, size_t n)
{
    size_t len = 0;
    if (*j->p++ != '"')
        return false;
    for (; *j->p != '"'; j->p++) {
        if ((unsigned char)*j->p < 0x20)
            return false;
        if (*j->p == '\\' && strchr("\"\\/bfnrtu", *++j->p) == NULL)
            return false;
        if (out != NULL && len + 1 < n)
            out[len++] = *j->p;
    }
    if (out != NULL)
        out[len] = '\0';
    j->p++;
    return true;
}

static bool j_number(json *j)
{
    const char *start = j->p;
    if (*j->p == '-')
        j->p++;
    if (*j->p < '0' || *j->p > '9')
        return false;
    if (*j->p == '0' && j->p[1] >= '0' && j->p[1] <= '9')
        return false;
    strtod(start, (char **)&j->p);
    return j->p > start;
}

static bool j_object(json *j)
{
    bool top = j->depth++ == 0;
    j->p++;
    j_ws(j);
    if (*j->p == '}')
        return j->p++, j->depth--, true;
    for (;;) {
        char key[64];
        j_ws(j);
        if (!j_string(j, key, sizeof key))
            return false;
        j_ws(j);
        if (*j->p++ != ':')
            return false;
        j_ws(j);
        if (top && j->nkeys < MAX_KEYS) {
            strcpy(j->keys[j->nkeys], key);
            j->vals[j->nkeys++] = j->p;
        }
        if (!j_value(j))
            return false;
        j_ws(j);
        if (*j->p == '}')
            return j->p++, j->depth--, true;
        if (*j->p++ != ',')
            return false;
    }
}

static bool j_value(json *j)
{
    if (*j->p == '{')
        return j_object(j);
    if (*j->p == '"')
        return j_string(j, NULL, 0);
    for (const char *lit[] = {"null", "true", "false"}, **l = lit; l < lit + 3; l++)
        if (strncmp(j->p, *l, strlen(*l)) == 0)
            return j->p += strlen(*l), true;
    return j_number(j);
}

/* Parse text as one JSON object with nothing after it. */
static bool j_parse(json *j, const char *text)
{
    memset(j, 0, sizeof *j);
    j->p = text;
    j_ws(j);
    if (*j->p != '{' || !j_object(j))
        return false;
    j_ws(j);
    return *j->p == '\0';
}

static const char *j_get(const json *j, const char *key)
{
    for (int i = 0; i < j->nkeys; i++)
        if (strcmp(j->keys[i], key) == 0)
            return j->vals[i];
    return NULL;
}

/* ---- fixtures ------------------------------------------------------------------- */

static hs_run_stats canned(void)
{
    hs_run_stats s = {
        .workload = "binary-trees depth=\"10\"\\\t",
        .outcome = "finished",
        .procs = 2,
        .gogc = 100,
        .seed = 7,
        .wall_ns = 1500000000,
        .peak_heap_alloc = 38 << 20,
        .peak_heap_inuse = 40 << 20,
        .peak_rss = 45 << 20,
        .heap_live = 14 << 20,
        .ops = 1366,
        .checks_passed = 1366,
    };
    s.mem.TotalAlloc = 1000000;
    s.mem.HeapAlloc = 400000;
    s.mem.Mallocs = 5000;
    s.mem.Frees = 3000;
    s.mem.TinyAllocs = 100;
    s.mem.HeapIdle = 8192 * 10;
    s.mem.HeapReleased = 8192 * 4;
    s.mem.HeapInuse = 8192 * 60;
    s.mem.NextGC = 4 << 20;
    s.gc = (hs_gc_summary){.cycles = 9,
                           .forced = 2,
                           .pause_total_ns = 1000000,
                           .mark_assist_ns = 250000000,
                           .mark_dedicated_ns = 100,
                           .mark_fractional_ns = 20};
    s.pauses = (hs_pause_stats){.count = 18, .max_ns = 90000, .p50_ns = 30000, .p99_ns = 88000};
    return s;
}

static char *capture_json(const hs_run_stats *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(hs_stats_json_write(f, s), 0);
    fclose(f);
    return text;
}

static char *capture_summary(const hs_run_stats *s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    hs_summary_print(f, s);
    fclose(f);
    return text;
}

static void expect_number(const json *j, const char *key, const char *want)
{
    const char *v = j_get(j, key);
    ck_assert_msg(v != NULL, "JSON lacks %s", key);
    ck_assert_msg(strncmp(v, want, strlen(want)) == 0 && strchr(",\n}", v[strlen(want)]),
                  "%s: got %.30s, want %s", key, v, want);
}

/* ---- pauses --------------------------------------------------------------------- */

START_TEST(test_pauses_empty)
{
    hs_pause_stats p;
    hs_pause_stats_compute(NULL, 0, &p);
    ck_assert_uint_eq(p.count, 0);
    ck_assert_int_eq(p.max_ns, 0);
    ck_assert_int_eq(p.p99_ns, 0);
}
END_TEST

START_TEST(test_pauses_ranks)
{
    int64_t one[] = {42};
    hs_pause_stats p;
    hs_pause_stats_compute(one, 1, &p);
    ck_assert_int_eq(p.p50_ns, 42);
    ck_assert_int_eq(p.p99_ns, 42);
    ck_assert_int_eq(p.max_ns, 42);

    int64_t ns[200];
    for (int i = 0; i < 200; i++)
        ns[i] = (int64_t)((i * 37) % 200 + 1) * 1000; /* 1..200 us, shuffled */
    hs_pause_stats_compute(ns, 200, &p);
    ck_assert_uint_eq(p.count, 200);
    ck_assert_int_eq(p.max_ns, 200000);
    ck_assert_int_eq(p.p50_ns, 100000); /* the 100th of 200 */
    ck_assert_int_eq(p.p99_ns, 198000); /* the 198th of 200 */
    ck_assert_int_eq(p.total_ns, 200 * 201 / 2 * 1000);

    int64_t three[] = {5, 1, 3};
    hs_pause_stats_compute(three, 3, &p);
    ck_assert_int_eq(p.p50_ns, 3);
    ck_assert_int_eq(p.p99_ns, 5);
}
END_TEST

/* ---- the summary ------------------------------------------------------------------ */

START_TEST(test_summary_ok)
{
    hs_run_stats s = canned();
    char *t = capture_summary(&s);
    ck_assert_msg(strstr(t, "workload      binary-trees") == t, "%s", t);
    ck_assert(strstr(t, "(seed 7)") != NULL);
    ck_assert(strstr(t, "\nPs            2\n") != NULL);
    ck_assert(strstr(t, "\nGOGC          100, memory limit none, max heap none\n") != NULL);
    ck_assert(strstr(t, "\nwall time     1.500 s\n") != NULL);
    ck_assert(strstr(t, "\nGC cycles     9 (2 forced)\n") != NULL);
    ck_assert(strstr(t, "\nSTW pauses    18: max 0.090 ms, p50 0.030 ms, p99 0.088 ms\n"));
    ck_assert(strstr(t, "\npeak heap     HeapAlloc 38.0 MiB, HeapInuse 40.0 MiB\n") != NULL);
    ck_assert(strstr(t, "\npeak RSS      45.0 MiB\n") != NULL);
    ck_assert(strstr(t, "\nchecks        OK (1366 passed)\n") != NULL);
    ck_assert(strstr(t, "verifier") == NULL);
    free(t);
}
END_TEST

START_TEST(test_summary_failed)
{
    hs_run_stats s = canned();
    s.gogc = HS_GOGC_OFF;
    s.max_heap = 64 << 20;
    s.memory_limit = 3 << 29;
    s.checks_failed = 1;
    s.pauses = (hs_pause_stats){0};
    s.verify = true;
    s.verify_failed = true;
    s.peak_rss = 0;
    char *t = capture_summary(&s);
    ck_assert(strstr(t, "\nGOGC          off, memory limit 1.5 GiB, max heap 64.0 MiB\n"));
    ck_assert(strstr(t, "\nSTW pauses    none\n") != NULL);
    ck_assert(strstr(t, "\npeak RSS      unknown\n") != NULL);
    ck_assert(strstr(t, "\nchecks        FAILED (1 of 1367 failed)\n") != NULL);
    ck_assert(strstr(t, "\nverifier      FAILED\n") != NULL);
    free(t);
}
END_TEST

/* ---- the JSON ------------------------------------------------------------------------- */

static const char *const required[] = {
    "/gc/cycles/total:gc-cycles",
    "/gc/cycles/forced:gc-cycles",
    "/gc/cycles/automatic:gc-cycles",
    "/gc/heap/allocs:bytes",
    "/gc/heap/allocs:objects",
    "/gc/heap/frees:bytes",
    "/gc/heap/frees:objects",
    "/gc/heap/goal:bytes",
    "/gc/heap/live:bytes",
    "/gc/heap/objects:objects",
    "/gc/heap/tiny/allocs:objects",
    "/gc/gogc:percent",
    "/gc/gomemlimit:bytes",
    "/memory/classes/heap/objects:bytes",
    "/memory/classes/heap/free:bytes",
    "/memory/classes/heap/released:bytes",
    "/memory/classes/heap/unused:bytes",
    "/memory/classes/metadata/mspan/inuse:bytes",
    "/memory/classes/metadata/mcache/inuse:bytes",
    "/memory/classes/total:bytes",
    "/cpu/classes/gc/mark/assist:cpu-seconds",
    "/cpu/classes/gc/mark/dedicated:cpu-seconds",
    "/cpu/classes/gc/mark/idle:cpu-seconds",
    "/cpu/classes/gc/pause:cpu-seconds",
    "pauses",
    "workload",
    "wall_seconds",
    "peak_rss_bytes",
};

START_TEST(test_json_valid_with_keys)
{
    hs_run_stats s = canned();
    char *t = capture_json(&s);
    json j;
    ck_assert_msg(j_parse(&j, t), "not JSON:\n%s", t);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        ck_assert_msg(j_get(&j, required[i]) != NULL, "JSON lacks %s", required[i]);
    const char *want_workload = "\"binary-trees depth=\\\"10\\\"\\\\\\u0009\"";
    ck_assert_msg(strncmp(j_get(&j, "workload"), want_workload, strlen(want_workload)) == 0,
                  "workload: %.40s", j_get(&j, "workload"));
    expect_number(&j, "/gc/cycles/total:gc-cycles", "9");
    expect_number(&j, "/gc/cycles/automatic:gc-cycles", "7");
    expect_number(&j, "/gc/heap/allocs:objects", "4900");
    expect_number(&j, "/gc/heap/frees:objects", "2900");
    expect_number(&j, "/gc/heap/frees:bytes", "600000");
    expect_number(&j, "/gc/heap/live:bytes", "14680064");
    expect_number(&j, "/gc/gogc:percent", "100");
    expect_number(&j, "/gc/gomemlimit:bytes", "9223372036854775807");
    expect_number(&j, "/memory/classes/heap/free:bytes", "49152");
    expect_number(&j, "/memory/classes/heap/unused:bytes", "91520");
    expect_number(&j, "/cpu/classes/gc/mark/assist:cpu-seconds", "0.250000000");
    expect_number(&j, "/cpu/classes/gc/mark/dedicated:cpu-seconds", "0.000000120");
    expect_number(&j, "/cpu/classes/gc/pause:cpu-seconds", "0.002000000");
    expect_number(&j, "wall_seconds", "1.500000000");
    ck_assert(strstr(j_get(&j, "pauses"), "{\"count\": 18, \"max_ns\": 90000, \"p50_ns\": 30000, "
                                          "\"p99_ns\": 88000") == j_get(&j, "pauses"));
    free(t);
}
END_TEST

/* A running Go program's run: the forced cycles it read, and null, never 0,
 * for what heapscope does not read from it; the summary likewise. */
START_TEST(test_attached_says_what_it_read)
{
    hs_run_stats s = canned();
    s.attached = true;
    char *t = capture_json(&s);
    json j;
    ck_assert_msg(j_parse(&j, t), "not JSON:\n%s", t);
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        ck_assert_msg(j_get(&j, required[i]) != NULL, "JSON lacks %s", required[i]);
    expect_number(&j, "/gc/cycles/forced:gc-cycles", "2");
    expect_number(&j, "/gc/cycles/automatic:gc-cycles", "7");
    expect_number(&j, "/gc/heap/tiny/allocs:objects", "100");
    expect_number(&j, "/cpu/classes/gc/pause:cpu-seconds", "0.002000000");
    static const char *const unread[] = {
        "/gc/gomemlimit:bytes",
        "/memory/classes/metadata/mspan/inuse:bytes",
        "/memory/classes/metadata/mcache/inuse:bytes",
        "/memory/classes/total:bytes",
        "/cpu/classes/gc/mark/assist:cpu-seconds",
        "/cpu/classes/gc/mark/dedicated:cpu-seconds",
        "/cpu/classes/gc/mark/idle:cpu-seconds",
        "scan",
    };
    for (size_t i = 0; i < sizeof unread / sizeof unread[0]; i++)
        expect_number(&j, unread[i], "null");
    free(t);
    t = capture_summary(&s);
    ck_assert_msg(strstr(t, "\nGC cycles     9 (2 forced)\n") != NULL, "%s", t);
    ck_assert_msg(strstr(t, "memory limit") == NULL && strstr(t, "checks") == NULL, "%s", t);
    free(t);
}
END_TEST

START_TEST(test_json_off_and_limits)
{
    hs_run_stats s = canned();
    s.gogc = HS_GOGC_OFF;
    s.memory_limit = 1 << 30;
    s.verify = true;
    char *t = capture_json(&s);
    json j;
    ck_assert_msg(j_parse(&j, t), "not JSON:\n%s", t);
    expect_number(&j, "/gc/gogc:percent", "-1");
    expect_number(&j, "/gc/gomemlimit:bytes", "1073741824");
    ck_assert(strncmp(j_get(&j, "verifier"), "true", 4) == 0);
    free(t);
}
END_TEST

START_TEST(test_json_reader_rejects)
{
    json j;
    ck_assert(!j_parse(&j, "{\"a\": 1,}"));
    ck_assert(!j_parse(&j, "{\"a\" 1}"));
    ck_assert(!j_parse(&j, "{\"a\": 01}"));
    ck_assert(!j_parse(&j, "{\"a\": \"x\ty\"}"));
    ck_assert(!j_parse(&j, "{} x"));
    ck_assert(j_parse(&j, "{\"a\": {\"b\": [1]}}") == false); /* no arrays: we write none */
    ck_assert(j_parse(&j, "{\"a\": {\"b\": -1.5e3}, \"c\": null}"));
    ck_assert_int_eq(j.nkeys, 2);
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_add_test(tc, test_pauses_empty);
    tcase_add_test(tc, test_pauses_ranks);
    tcase_add_test(tc, test_summary_ok);
    tcase_add_test(tc, test_summary_failed);
    tcase_add_test(tc, test_json_valid_with_keys);
    tcase_add_test(tc, test_attached_says_what_it_read);
    tcase_add_test(tc, test_json_off_and_limits);
    tcase_add_test(tc, test_json_reader_rejects);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
