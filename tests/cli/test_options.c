/*
 * test_options.c — hs_options_parse on argv arrays: the defaults, every option
 * of DESIGN.md's contract, every bad value and bad combination (status 2 and
 * one line naming the option), --help and --version, and the run modes.
 */
#include <config.h>

#include "heapscope/cli.h"

#include "../testutil.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 48
#define TRY_LINE "Try 'heapscope --help' for more information.\n"

/* One call of hs_options_parse: argv copies (hs_options points into them) and
 * what it wrote to err. */
typedef struct parsed {
    hs_options_result rc;
    hs_options o;
    int argc;
    char *argv[MAX_ARGS + 2];
    char *err;
    size_t errlen;
} parsed;

static void run(parsed *p, const char *const *args)
{
    FILE *err = open_memstream(&p->err, &p->errlen);
    ck_assert_ptr_nonnull(err);
    p->argc = 0;
    p->argv[p->argc++] = strdup("heapscope");
    for (; *args != NULL; args++) {
        ck_assert_int_lt(p->argc, MAX_ARGS);
        p->argv[p->argc++] = strdup(*args);
    }
    p->argv[p->argc] = NULL;
    p->rc = hs_options_parse(p->argc, p->argv, &p->o, err);
    fclose(err);
}

static void done(parsed *p)
{
    for (int i = 0; i < p->argc; i++)
        free(p->argv[i]);
    free(p->err);
}

#define PARSE(p, ...) run((p), (const char *const[]){__VA_ARGS__, NULL})

static void expect_ok(parsed *p)
{
    ck_assert_msg(p->rc == HS_OPTIONS_RUN, "status %d, err: %s", p->rc, p->err);
    ck_assert_uint_eq(p->errlen, 0);
}

/* Status 2, and exactly: "heapscope: WHAT: ...\n" then the --help hint. */
static void expect_usage(parsed *p, const char *what)
{
    char head[128];
    snprintf(head, sizeof head, "heapscope: %s: ", what);
    ck_assert_msg(p->rc == HS_OPTIONS_USAGE, "status %d for %s", p->rc, what);
    ck_assert_msg(strncmp(p->err, head, strlen(head)) == 0, "message '%s' should start '%s'",
                  p->err, head);
    const char *nl = strchr(p->err, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_str_eq(nl + 1, TRY_LINE);
    ck_assert_msg(nl - p->err > (long)strlen(head), "no reason after '%s'", head);
}

/* ---- defaults and every option --------------------------------------------- */

START_TEST(test_defaults)
{
    parsed p;
    run(&p, (const char *const[]){NULL});
    expect_ok(&p);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    ck_assert_str_eq(p.o.workload, "web");
    ck_assert_int_eq(p.o.procs, cpus < 1 ? 1 : cpus > HS_PROCS_MAX ? HS_PROCS_MAX : cpus);
    ck_assert_int_eq(p.o.gogc, 100);
    ck_assert_uint_eq(p.o.memory_limit, 0);
    ck_assert_uint_eq(p.o.max_heap, 0);
    ck_assert(!p.o.seed_given);
    ck_assert_uint_eq(p.o.duration_ns, 0);
    ck_assert(!p.o.headless && !p.o.verify && !p.o.step && !p.o.freeze);
    ck_assert_int_eq(p.o.fps, HS_FPS_DEFAULT);
    ck_assert_int_eq(p.o.gctrace, 0);
    ck_assert_int_eq(p.o.gc, HS_CLI_GC_CLASSIC);
    ck_assert_ptr_null(p.o.stats_json);
    ck_assert_ptr_null(p.o.record);
    ck_assert_ptr_null(p.o.replay);
    ck_assert_ptr_null(p.o.export_cast);
    ck_assert_ptr_null(p.o.screenshot);
    ck_assert_ptr_null(p.o.at);
    ck_assert_ptr_null(p.o.attach_bin);
    ck_assert_int_eq(p.o.size_cols, 0);
    ck_assert_int_eq(p.o.size_rows, 0);
    ck_assert_int_eq(p.o.attach_pid, 0);
    ck_assert_int_eq(hs_options_mode(&p.o), HS_MODE_LIVE);
    done(&p);
}
END_TEST

START_TEST(test_every_runtime_option)
{
    parsed p;
    PARSE(&p, "--workload", "trace:file=out.hst,speed=2", "--procs", "3", "--gogc", "off",
          "--memory-limit", "1.5GiB", "--max-heap", "64MiB", "--seed", "42", "--duration", "1m30s",
          "--headless", "--verify", "--fps", "240", "--gctrace", "--stats-json", "stats.json",
          "--gc", "greentea", "--record", "rec.hsr");
    expect_ok(&p);
    ck_assert_str_eq(p.o.workload, "trace:file=out.hst,speed=2");
    ck_assert_int_eq(p.o.procs, 3);
    ck_assert_int_eq(p.o.gogc, HS_GOGC_OFF);
    ck_assert_uint_eq(p.o.memory_limit, 1610612736);
    ck_assert_uint_eq(p.o.max_heap, 64 << 20);
    ck_assert(p.o.seed_given);
    ck_assert_uint_eq(p.o.seed, 42);
    ck_assert_uint_eq(p.o.duration_ns, 90 * UINT64_C(1000000000));
    ck_assert(p.o.headless && p.o.verify && !p.o.step);
    ck_assert_int_eq(p.o.fps, 240);
    ck_assert_int_eq(p.o.gctrace, 1);
    ck_assert_str_eq(p.o.stats_json, "stats.json");
    ck_assert_int_eq(p.o.gc, HS_CLI_GC_GREENTEA);
    ck_assert_str_eq(p.o.record, "rec.hsr");
    ck_assert_int_eq(hs_options_mode(&p.o), HS_MODE_HEADLESS);
    done(&p);
}
END_TEST

/* Each option in a mode where it means something, and the least --max-heap. */
START_TEST(test_options_in_their_modes)
{
    static const char *const ok[][12] = {
        {"--step", "--max-heap", "4MiB", "--view", "ps", "--record", "r.hsr", "--verify"},
        {"--headless", "--fps", "10", "--record", "r.hsr", "--gctrace", "--stats-json", "s.json"},
        {"--replay", "r.hsr", "--view", "ps", "--duration", "2s", "--fps", "10"},
        {"--replay", "r.hsr", "--screenshot", "a.txt", "--at", "3", "--view", "ps", "--size",
         "80x24"},
        {"--attach", "1", "--view", "ps", "--duration", "2s", "--fps", "5", "--freeze"},
        {"--attach", "1", "--headless", "--stats-json", "s.json", "--attach-bin", "b"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        parsed p;
        run(&p, ok[i]);
        expect_ok(&p);
        done(&p);
    }
}
END_TEST

START_TEST(test_every_replay_option)
{
    parsed p;
    PARSE(&p, "--replay", "talk.hsr", "--export-cast", "talk.cast", "--screenshot", "f.svg", "--at",
          "2.5s", "--size", "120x40");
    expect_ok(&p);
    ck_assert_str_eq(p.o.replay, "talk.hsr");
    ck_assert_str_eq(p.o.export_cast, "talk.cast");
    ck_assert_str_eq(p.o.screenshot, "f.svg");
    ck_assert_str_eq(p.o.at, "2.5s");
    ck_assert_int_eq(p.o.size_cols, 120);
    ck_assert_int_eq(p.o.size_rows, 40);
    ck_assert_int_eq(hs_options_mode(&p.o), HS_MODE_EXPORT);
    done(&p);
    PARSE(&p, "--replay=talk.hsr", "--screenshot=f.txt", "--at=120", "--size=20X10");
    expect_ok(&p);
    ck_assert_str_eq(p.o.at, "120");
    ck_assert_int_eq(p.o.size_cols, 20);
    ck_assert_int_eq(p.o.size_rows, 10);
    done(&p);
    PARSE(&p, "--replay", "talk.hsr");
    expect_ok(&p);
    ck_assert_int_eq(hs_options_mode(&p.o), HS_MODE_REPLAY);
    done(&p);
}
END_TEST

START_TEST(test_every_attach_option)
{
    parsed p;
    PARSE(&p, "--attach", "4194304", "--attach-bin", "/usr/local/bin/server", "--freeze");
    expect_ok(&p);
    ck_assert_int_eq(p.o.attach_pid, HS_PID_MAX);
    ck_assert_str_eq(p.o.attach_bin, "/usr/local/bin/server");
    ck_assert(p.o.freeze);
    ck_assert_int_eq(hs_options_mode(&p.o), HS_MODE_ATTACH);
    done(&p);
}
END_TEST

START_TEST(test_short_and_equals_forms)
{
    parsed p;
    PARSE(&p, "-w", "web:rate=10", "-p", "1", "-r", "a.hsr", "--gogc=0", "--gctrace=2",
          "--headless");
    expect_ok(&p);
    ck_assert_str_eq(p.o.workload, "web:rate=10");
    ck_assert_int_eq(p.o.procs, 1);
    ck_assert_str_eq(p.o.record, "a.hsr");
    ck_assert_int_eq(p.o.gogc, 0);
    ck_assert_int_eq(p.o.gctrace, 2);
    done(&p);
    PARSE(&p, "-p4", "-wheap", "--gctrace=0", "--gogc", "2147483647", "--headless");
    expect_ok(&p);
    ck_assert_int_eq(p.o.procs, 4);
    ck_assert_str_eq(p.o.workload, "heap");
    ck_assert_int_eq(p.o.gctrace, 0);
    ck_assert_int_eq(p.o.gogc, INT_MAX);
    done(&p);
}
END_TEST

/* getopt_long takes an unambiguous prefix of a long option. */
START_TEST(test_unambiguous_prefix)
{
    parsed p;
    PARSE(&p, "--mem", "1GiB", "--head", "--proc", "2");
    expect_ok(&p);
    ck_assert_uint_eq(p.o.memory_limit, UINT64_C(1) << 30);
    ck_assert(p.o.headless);
    ck_assert_int_eq(p.o.procs, 2);
    done(&p);
}
END_TEST

START_TEST(test_last_value_wins)
{
    parsed p;
    PARSE(&p, "--fps", "10", "--fps", "20", "--gogc", "off", "--gogc", "50");
    expect_ok(&p);
    ck_assert_int_eq(p.o.fps, 20);
    ck_assert_int_eq(p.o.gogc, 50);
    done(&p);
}
END_TEST

/* A parse that stopped inside "-xp" must not leak getopt state into the next. */
START_TEST(test_parse_again)
{
    parsed p;
    PARSE(&p, "-xp", "3");
    expect_usage(&p, "-x");
    done(&p);
    PARSE(&p, "-p", "2");
    expect_ok(&p);
    ck_assert_int_eq(p.o.procs, 2);
    done(&p);
    PARSE(&p, "--procs", "0");
    expect_usage(&p, "--procs");
    done(&p);
    PARSE(&p, "--procs", "5");
    expect_ok(&p);
    ck_assert_int_eq(p.o.procs, 5);
    done(&p);
}
END_TEST

/* ---- bad values ------------------------------------------------------------- */

typedef struct bad_case {
    const char *args[8]; /* ends at the first NULL */
    const char *what;    /* the option the message must name */
} bad_case;

static const bad_case bad[] = {
    {{"--procs", "0"}, "--procs"},
    {{"--procs", "abc"}, "--procs"},
    {{"--procs", ""}, "--procs"},
    {{"--procs", "1025"}, "--procs"},
    {{"-p", "-1"}, "--procs"},
    {{"-p"}, "--procs"},
    {{"--procs"}, "--procs"},
    {{"--procs", "1\n2"}, "--procs"},
    {{"--gogc", "abc"}, "--gogc"},
    {{"--gogc", "-1"}, "--gogc"},
    {{"--gogc", "Off"}, "--gogc"},
    {{"--gogc", ""}, "--gogc"},
    {{"--gogc", "2147483648"}, "--gogc"},
    {{"--duration", "5x"}, "--duration"},
    {{"--duration", "-1s"}, "--duration"},
    {{"--duration", "0s"}, "--duration"},
    {{"--duration", "10"}, "--duration"},
    {{"--duration", ""}, "--duration"},
    {{"--duration", "2562048h"}, "--duration"},
    {{"--max-heap", "12parsecs"}, "--max-heap"},
    {{"--max-heap", "0"}, "--max-heap"},
    {{"--max-heap", "-5MiB"}, "--max-heap"},
    {{"--max-heap", ""}, "--max-heap"},
    {{"--memory-limit", "-1GiB"}, "--memory-limit"},
    {{"--memory-limit", "16EiB"}, "--memory-limit"},
    {{"--memory-limit", "lots"}, "--memory-limit"},
    {{"--seed", "-1"}, "--seed"},
    {{"--seed", "x"}, "--seed"},
    {{"--fps", "0"}, "--fps"},
    {{"--fps", "241"}, "--fps"},
    {{"--fps", "ten"}, "--fps"},
    {{"--gctrace=3"}, "--gctrace"},
    {{"--gctrace=x"}, "--gctrace"},
    {{"--gc", "foo"}, "--gc"},
    {{"--gc", ""}, "--gc"},
    {{"--gc", "Classic"}, "--gc"},
    {{"--workload", ""}, "--workload"},
    {{"--workload", "web:"}, "--workload"},
    {{"--workload", "web:rate"}, "--workload"},
    {{"--workload", "web:=1"}, "--workload"},
    {{"--workload", "web:rate="}, "--workload"},
    {{"--workload", "web:a=1,,b=2"}, "--workload"},
    {{"--workload", "we b"}, "--workload"},
    {{"--workload", ":a=1"}, "--workload"},
    {{"--size", "10", "--replay", "r", "--screenshot", "s.txt"}, "--size"},
    {{"--size", "10x5", "--replay", "r", "--screenshot", "s.txt"}, "--size"},
    {{"--size", "120x", "--replay", "r", "--screenshot", "s.txt"}, "--size"},
    {{"--size", "x40", "--replay", "r", "--screenshot", "s.txt"}, "--size"},
    {{"--size", "1001x40", "--replay", "r", "--screenshot", "s.txt"}, "--size"},
    {{"--size", "120x40x2", "--replay", "r", "--screenshot", "s.txt"}, "--size"},
    {{"--size", "10"}, "--size"},
    {{"--at", "soon", "--replay", "r"}, "--at"},
    {{"--at", "-1", "--replay", "r"}, "--at"},
    {{"--at", "0", "--replay", "r", "--screenshot", "s.txt"}, "--at"},
    {{"--attach", "0"}, "--attach"},
    {{"--attach", "abc"}, "--attach"},
    {{"--attach", "4194305"}, "--attach"},
    {{"--record", ""}, "--record"},
    {{"--replay", ""}, "--replay"},
    {{"--stats-json", ""}, "--stats-json"},
    {{"--export-cast", "", "--replay", "r"}, "--export-cast"},
    {{"--screenshot", "", "--replay", "r"}, "--screenshot"},
    {{"--attach-bin", "", "--attach", "1"}, "--attach-bin"},
    {{"--headless=yes"}, "--headless"},
    {{"--help=me"}, "--help"},
    {{"--frobnicate"}, "--frobnicate"},
    {{"--frobnicate=3"}, "--frobnicate"},
    {{"-x"}, "-x"},
    {{"--s", "1"}, "--s"},
    {{"--at"}, "--at"},
    {{"stray"}, "'stray'"},
    {{"--gctrace", "2"}, "'2'"},
    {{"--fps", "30", "extra"}, "'extra'"},
    /* combinations */
    {{"--export-cast", "a.cast"}, "--export-cast"},
    {{"--screenshot", "a.txt"}, "--screenshot"},
    {{"--at", "3"}, "--at"},
    {{"--size", "120x40", "--replay", "r"}, "--size"},
    {{"--freeze"}, "--freeze"},
    {{"--attach-bin", "x"}, "--attach-bin"},
    {{"--replay", "r", "--attach", "1"}, "--replay"},
    {{"--attach", "1", "--replay", "r"}, "--replay"},
    {{"--max-heap", "1"}, "--max-heap"},
    {{"--max-heap", "4095KiB"}, "--max-heap"},
    {{"--replay", "r", "--at", "3"}, "--at"},
    {{"--replay", "r", "--export-cast", "a.cast", "--at", "3"}, "--at"},
    /* options that would do nothing in the mode chosen */
    {{"--headless", "--step", "--duration", "2s"}, "--step"},
    {{"--replay", "r", "-w", "churn", "--screenshot", "a.txt"}, "--workload"},
    {{"--verify", "--replay", "r"}, "--verify"},
    {{"--replay", "r", "--headless"}, "--headless"},
    {{"--replay", "r", "--screenshot", "a.txt", "--duration", "2s"}, "--duration"},
    {{"--gctrace"}, "--gctrace"},
    {{"--stats-json", "s.json"}, "--stats-json"},
    {{"--headless", "--fps", "10"}, "--fps"},
    {{"--headless", "--view", "ps"}, "--view"},
    {{"--replay", "r", "--record", "r.hsr"}, "--record"},
    {{"--attach", "1", "--gogc", "50"}, "--gogc"},
    {{"--attach", "1", "--headless", "--view", "ps"}, "--view"},
    {{"--attach", "1", "--stats-json", "s.json"}, "--stats-json"},
};

START_TEST(test_bad_usage)
{
    parsed p;
    run(&p, bad[_i].args);
    expect_usage(&p, bad[_i].what);
    done(&p);
}
END_TEST

/* ---- --help, --version and the texts -------------------------------------- */

static const char *const long_names[] = {
    "--workload",   "--procs",      "--gogc",     "--memory-limit", "--max-heap",
    "--seed",       "--duration",   "--headless", "--verify",       "--fps",
    "--gctrace",    "--stats-json", "--record",   "--replay",       "--export-cast",
    "--screenshot", "--at",         "--size",     "--step",         "--gc",
    "--attach",     "--attach-bin", "--freeze",   "--help",         "--version",
};

/* Run one parse with stdout sent to a temporary file; return what it printed. */
static char *parse_capturing_stdout(const char *opt, hs_options_result *rc)
{
    FILE *tmp = tmpfile();
    ck_assert_ptr_nonnull(tmp);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    dup2(fileno(tmp), STDOUT_FILENO);
    parsed p;
    PARSE(&p, opt);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    *rc = p.rc;
    ck_assert_uint_eq(p.errlen, 0);
    done(&p);
    long n = ftell(tmp);
    char *text = calloc(1, (size_t)n + 1);
    rewind(tmp);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return text;
}

START_TEST(test_help)
{
    hs_options_result rc;
    char *text = parse_capturing_stdout("--help", &rc);
    ck_assert_int_eq(rc, HS_OPTIONS_DONE);
    ck_assert_msg(strncmp(text, "Usage: heapscope", 16) == 0, "help starts: %.40s", text);
    for (size_t i = 0; i < sizeof long_names / sizeof long_names[0]; i++)
        ck_assert_msg(strstr(text, long_names[i]) != NULL, "--help lacks %s", long_names[i]);
    free(text);
    text = parse_capturing_stdout("-h", &rc);
    ck_assert_int_eq(rc, HS_OPTIONS_DONE);
    ck_assert_ptr_nonnull(strstr(text, "--workload"));
    free(text);
}
END_TEST

START_TEST(test_help_fits_80_columns)
{
    char *text;
    size_t len;
    FILE *f = open_memstream(&text, &len);
    hs_options_usage(f);
    fclose(f);
    for (char *line = text, *end; *line != '\0'; line = end + 1) {
        end = strchr(line, '\n');
        ck_assert_ptr_nonnull(end);
        ck_assert_msg(end - line < 80, "help line too wide: %.*s", (int)(end - line), line);
    }
    free(text);
}
END_TEST

START_TEST(test_version)
{
    hs_options_result rc;
    char *text = parse_capturing_stdout("--version", &rc);
    ck_assert_int_eq(rc, HS_OPTIONS_DONE);
    ck_assert_msg(strncmp(text, "heapscope " PACKAGE_VERSION "\n", strlen(PACKAGE_VERSION) + 11) ==
                      0,
                  "version text: %s", text);
    ck_assert_ptr_nonnull(strstr(text, "Copyright"));
    free(text);
    text = parse_capturing_stdout("-V", &rc);
    ck_assert_int_eq(rc, HS_OPTIONS_DONE);
    ck_assert_ptr_nonnull(strstr(text, PACKAGE_VERSION));
    free(text);
}
END_TEST

START_TEST(test_mode_phrases)
{
    const hs_run_mode modes[] = {HS_MODE_LIVE, HS_MODE_HEADLESS, HS_MODE_REPLAY, HS_MODE_EXPORT,
                                 HS_MODE_ATTACH};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        const char *a = hs_run_mode_phrase(modes[i]);
        ck_assert(a != NULL && a[0] != '\0');
        for (size_t j = 0; j < i; j++)
            ck_assert_str_ne(a, hs_run_mode_phrase(modes[j]));
    }
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *make_suite(void)
{
    Suite *s = suite_create("cli/options");
    TCase *tc = tcase_create("good");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_every_runtime_option);
    tcase_add_test(tc, test_every_replay_option);
    tcase_add_test(tc, test_options_in_their_modes);
    tcase_add_test(tc, test_every_attach_option);
    tcase_add_test(tc, test_short_and_equals_forms);
    tcase_add_test(tc, test_unambiguous_prefix);
    tcase_add_test(tc, test_last_value_wins);
    tcase_add_test(tc, test_parse_again);
    suite_add_tcase(s, tc);
    tc = tcase_create("bad");
    tcase_add_loop_test(tc, test_bad_usage, 0, N(bad));
    suite_add_tcase(s, tc);
    tc = tcase_create("texts");
    tcase_add_test(tc, test_help);
    tcase_add_test(tc, test_help_fits_80_columns);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_mode_phrases);
    suite_add_tcase(s, tc);
    return s;
}

HS_TEST_MAIN(make_suite)
