/*
 * test_spec.c — workload specs: every scenario by name with its defaults,
 * parameters of each kind, every rejection (status and sentence), the
 * canonical form, and `--workload help` listing every scenario and parameter
 * of the registry.
 */
#include <config.h>

#include "heapscope/workload.h"
#include "workload/scenario.h"

#include "../testutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct parsed {
    hs_workload_status st;
    hs_workload *w;
    char why[256];
} parsed;

static void parse(parsed *p, const char *spec)
{
    memset(p->why, 'x', sizeof p->why);
    p->why[sizeof p->why - 1] = '\0';
    p->st = hs_workload_parse(spec, &p->w, p->why, sizeof p->why);
}

static hs_workload *parse_ok(const char *spec)
{
    parsed p;
    parse(&p, spec);
    ck_assert_msg(p.st == HS_WORKLOAD_OK, "%s: %s", spec, p.why);
    ck_assert_ptr_nonnull(p.w);
    return p.w;
}

static int64_t param(const hs_workload *w, const char *key)
{
    int64_t v = -12345;
    ck_assert_msg(hs_workload_param(w, key, &v), "no parameter %s", key);
    return v;
}

static void expect_format(const char *spec, const char *want)
{
    char buf[256];
    hs_workload *w = parse_ok(spec);
    hs_workload_format(w, buf, sizeof buf);
    ck_assert_str_eq(buf, want);
    hs_workload_free(w);
}

/* A rejected spec: the status, no workload, and one sentence holding each
 * of the NULL-terminated words. */
static void expect_reject(const char *spec, hs_workload_status want, ...)
{
    parsed p;
    parse(&p, spec);
    ck_assert_msg(p.st == want, "'%s': status %d, want %d (%s)", spec, p.st, want, p.why);
    ck_assert_ptr_null(p.w);
    ck_assert_msg(p.why[0] != '\0' && strchr(p.why, '\n') == NULL, "'%s': why '%s'", spec, p.why);
    va_list ap;
    va_start(ap, want);
    for (const char *word; (word = va_arg(ap, const char *)) != NULL;)
        ck_assert_msg(strstr(p.why, word) != NULL, "'%s': '%s' lacks '%s'", spec, p.why, word);
    va_end(ap);
}

START_TEST(test_defaults)
{
    hs_workload *w = parse_ok("binary-trees");
    ck_assert_str_eq(hs_workload_name(w), "binary-trees");
    ck_assert_int_eq(param(w, "depth"), 18);
    ck_assert_uint_eq(hs_workload_default_duration(w), 0);
    ck_assert_uint_eq(hs_workload_nglobals(w, 4), 0);
    hs_workload_free(w);

    w = parse_ok("web");
    ck_assert_int_eq(param(w, "rate"), 10000);
    ck_assert_int_eq(param(w, "period"), 20);
    ck_assert_int_eq(param(w, "cache"), 16 << 20);
    ck_assert_int_eq(param(w, "requests"), 0);
    ck_assert_int_eq(param(w, "pace"), 1);
    ck_assert_uint_eq(hs_workload_default_duration(w), 20000000000ULL);
    ck_assert_uint_eq(hs_workload_nglobals(w, 2), 6);
    hs_workload_free(w);

    w = parse_ok("churn");
    ck_assert_int_eq(param(w, "live"), 64 << 20);
    ck_assert_int_eq(param(w, "rate"), 4);
    ck_assert_int_eq(param(w, "garbage"), 1024);
    ck_assert_int_eq(param(w, "steps"), 0);
    ck_assert_uint_eq(hs_workload_default_duration(w), 10000000000ULL);
    ck_assert_uint_gt(hs_workload_nglobals(w, 2), 0);
    int64_t v;
    ck_assert(!hs_workload_param(w, "depth", &v));
    hs_workload_free(w);
}
END_TEST

START_TEST(test_params)
{
    hs_workload *w = parse_ok("binary-trees:depth=10");
    ck_assert_int_eq(param(w, "depth"), 10);
    hs_workload_free(w);

    w = parse_ok("churn:live=1.5MiB,rate=0,garbage=2k");
    ck_assert_int_eq(param(w, "live"), 3 << 19);
    ck_assert_int_eq(param(w, "rate"), 0);
    ck_assert_int_eq(param(w, "garbage"), 2048);
    hs_workload_free(w);

    w = parse_ok("churn:garbage=1000,live=2GB");
    ck_assert_int_eq(param(w, "live"), 2000000000);
    ck_assert_int_eq(param(w, "garbage"), 1000);
    hs_workload_free(w);
}
END_TEST

START_TEST(test_format)
{
    expect_format("binary-trees", "binary-trees depth=18");
    expect_format("binary-trees:depth=0", "binary-trees depth=0");
    expect_format("churn", "churn live=64MiB rate=4 garbage=1KiB steps=0");
    expect_format("churn:live=1025,garbage=3MiB,steps=9",
                  "churn live=1025 rate=4 garbage=3MiB steps=9");
}
END_TEST

START_TEST(test_reject_name)
{
    expect_reject("", HS_WORKLOAD_EMPTY, "no name", NULL);
    expect_reject(":depth=1", HS_WORKLOAD_EMPTY, "no name", NULL);
    expect_reject("nosuch", HS_WORKLOAD_UNKNOWN, "'nosuch'", "web", "binary-trees", "churn", NULL);
    expect_reject("binary-tree:depth=3", HS_WORKLOAD_UNKNOWN, "'binary-tree'", NULL);
    expect_reject("Churn", HS_WORKLOAD_UNKNOWN, "'Churn'", NULL);
}
END_TEST

START_TEST(test_reject_syntax)
{
    expect_reject("binary-trees:", HS_WORKLOAD_SYNTAX, "key=value", NULL);
    expect_reject("binary-trees:depth", HS_WORKLOAD_SYNTAX, "'depth'", "key=value", NULL);
    expect_reject("binary-trees:=3", HS_WORKLOAD_SYNTAX, "'=3'", NULL);
    expect_reject("binary-trees:depth=", HS_WORKLOAD_SYNTAX, "'depth='", NULL);
    expect_reject("binary-trees:depth=10,", HS_WORKLOAD_SYNTAX, "key=value", NULL);
    expect_reject("churn:rate=1,,live=1MiB", HS_WORKLOAD_SYNTAX, "key=value", NULL);
    static char longspec[5000] = "churn:live=";
    memset(longspec + strlen(longspec), '9', 4500);
    expect_reject(longspec, HS_WORKLOAD_SYNTAX, "too long", NULL);
}
END_TEST

START_TEST(test_reject_key)
{
    expect_reject("binary-trees:size=3", HS_WORKLOAD_BAD_KEY, "'size'", "binary-trees", "depth",
                  NULL);
    expect_reject("churn:depth=3", HS_WORKLOAD_BAD_KEY, "'depth'", "live, rate, garbage, steps",
                  NULL);
    expect_reject("binary-trees:depth=3,depth=4", HS_WORKLOAD_DUPLICATE, "depth", "twice", NULL);
}
END_TEST

START_TEST(test_reject_value)
{
    expect_reject("binary-trees:depth=abc", HS_WORKLOAD_BAD_VALUE, "depth=abc", "whole number",
                  NULL);
    expect_reject("binary-trees:depth=1.5", HS_WORKLOAD_BAD_VALUE, "whole number", NULL);
    expect_reject("binary-trees:depth=31", HS_WORKLOAD_BAD_VALUE, "depth=31", "0 to 30", NULL);
    expect_reject("binary-trees:depth=-1", HS_WORKLOAD_BAD_VALUE, "out of range", NULL);
    expect_reject("binary-trees:depth=99999999999999999999", HS_WORKLOAD_BAD_VALUE, NULL);
    expect_reject("churn:live=12parsecs", HS_WORKLOAD_BAD_VALUE, "live=12parsecs", "not a size",
                  NULL);
    expect_reject("churn:live=1.5", HS_WORKLOAD_BAD_VALUE, "not a size", NULL);
    expect_reject("churn:live=-1MiB", HS_WORKLOAD_BAD_VALUE, "not a size", NULL);
    expect_reject("churn:live=99999999TiB", HS_WORKLOAD_BAD_VALUE, NULL);
    expect_reject("churn:live=10", HS_WORKLOAD_BAD_VALUE, "1KiB to 1TiB", NULL);
    expect_reject("churn:rate=1.5", HS_WORKLOAD_BAD_VALUE, "whole number", NULL);
    expect_reject("churn:garbage=17MiB", HS_WORKLOAD_BAD_VALUE, "0 to 16MiB", NULL);
    expect_reject("churn:rate=\x01", HS_WORKLOAD_BAD_VALUE, "rate=?", NULL);
}
END_TEST

START_TEST(test_help_flag)
{
    ck_assert(hs_workload_is_help("help"));
    ck_assert(!hs_workload_is_help("help:x=1"));
    ck_assert(!hs_workload_is_help("binary-trees"));
    parsed p;
    parse(&p, "help");
    ck_assert_int_eq(p.st, HS_WORKLOAD_UNKNOWN);
}
END_TEST

START_TEST(test_help_lists_everything)
{
    char *text = NULL, def[32], entry[80];
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    hs_workload_help(f);
    fclose(f);
    ck_assert_uint_ge(wl_scenario_count(), 2);
    for (size_t i = 0; i < wl_scenario_count(); i++) {
        const wl_scenario *sc = wl_scenario_at(i);
        snprintf(entry, sizeof entry, "\n  %s ", sc->name);
        ck_assert_msg(strstr(text, entry) != NULL, "help lacks %s", sc->name);
        ck_assert_msg(strstr(text, sc->help) != NULL, "help lacks %s's description", sc->name);
        for (size_t j = 0; j < sc->nparams; j++) {
            if (sc->params[j].kind == WL_STRING)
                snprintf(def, sizeof def, "PATH"); /* text has no default */
            else
                wl_format_value(def, sizeof def, sc->params[j].kind, sc->params[j].def);
            snprintf(entry, sizeof entry, " %s=%s ", sc->params[j].key, def);
            ck_assert_msg(strstr(text, entry) != NULL, "help lacks '%s'", entry);
            ck_assert_msg(strstr(text, sc->params[j].help) != NULL, "help lacks %s's meaning",
                          sc->params[j].key);
        }
    }
    ck_assert(strstr(text, " depth=18 ") != NULL);
    ck_assert(strstr(text, " live=64MiB ") != NULL);
    free(text);
}
END_TEST

START_TEST(test_values)
{
    int64_t v;
    ck_assert(wl_parse_size("0", &v) && v == 0);
    ck_assert(wl_parse_size("1KiB", &v) && v == 1024);
    ck_assert(wl_parse_size("1kb", &v) && v == 1000);
    ck_assert(wl_parse_size("0.5K", &v) && v == 512);
    ck_assert(wl_parse_size("1TiB", &v) && v == (int64_t)1 << 40);
    ck_assert(!wl_parse_size("", &v));
    ck_assert(!wl_parse_size("1.", &v));
    ck_assert(!wl_parse_size(".5K", &v));
    ck_assert(!wl_parse_size("1 MiB", &v));
    ck_assert(!wl_parse_size("1.5B", &v));
    ck_assert(wl_parse_int("-7", &v) && v == -7);
    ck_assert(!wl_parse_int("7x", &v));
    ck_assert(!wl_parse_int("-", &v));
    char buf[32];
    wl_format_value(buf, sizeof buf, WL_SIZE, 3 << 20);
    ck_assert_str_eq(buf, "3MiB");
    wl_format_value(buf, sizeof buf, WL_SIZE, 1536);
    ck_assert_str_eq(buf, "1536");
    wl_format_value(buf, sizeof buf, WL_SIZE, 0);
    ck_assert_str_eq(buf, "0");
    wl_format_value(buf, sizeof buf, WL_INT, 1024);
    ck_assert_str_eq(buf, "1024");
}
END_TEST

static Suite *make_suite(void)
{
    Suite *s = suite_create("workload spec");
    TCase *tc = tcase_create("spec");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_params);
    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_reject_name);
    tcase_add_test(tc, test_reject_syntax);
    tcase_add_test(tc, test_reject_key);
    tcase_add_test(tc, test_reject_value);
    tcase_add_test(tc, test_help_flag);
    tcase_add_test(tc, test_help_lists_everything);
    tcase_add_test(tc, test_values);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
