/*
 * registry.c — the table of scenarios, and `--workload help` printed from it.
 *
 * Adding a scenario: write src/workload/NAME.c defining a const wl_scenario,
 * declare it in scenario.h and list it here.  The help text comes from the
 * scenario's own description and parameter table, so it cannot drift.
 */
#include <config.h>

#include "workload/scenario.h"

#include <string.h>

#define HELP_KEY_COLUMN 22 /* where parameter meanings start */
#define HELP_NAME_COLUMN 16

/* In the order --workload help lists them, the default first. */
/* clang-format off */
static const wl_scenario *const scenarios[] = {
    &wl_web,
    &wl_binary_trees,
    &wl_churn,
    &wl_fragment,
    &wl_large,
    &wl_tiny,
    &wl_leak,
    &wl_pool,
    &wl_prealloc,
    &wl_trace,
};
/* clang-format on */

#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

size_t wl_scenario_count(void)
{
    return NSCENARIOS;
}

const wl_scenario *wl_scenario_at(size_t i)
{
    return i < NSCENARIOS ? scenarios[i] : NULL;
}

const wl_scenario *wl_scenario_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NSCENARIOS; i++)
        if (strlen(scenarios[i]->name) == len && strncmp(scenarios[i]->name, name, len) == 0)
            return scenarios[i];
    return NULL;
}

size_t wl_nslots_one(const int64_t *values)
{
    return 1;
}

size_t wl_nglobals_per_p(const int64_t *values, int nprocs)
{
    return (size_t)nprocs;
}

size_t wl_nglobals_none(const int64_t *values, int nprocs)
{
    return 0;
}

bool hs_workload_is_help(const char *spec)
{
    return strcmp(spec, "help") == 0;
}

/* "      depth=18          max depth N ..." */
static void help_param(FILE *out, const wl_param *p)
{
    char def[32], left[64], lo[32], hi[32];
    wl_format_value(def, sizeof def, p->kind, p->def);
    wl_format_value(lo, sizeof lo, p->kind, p->min);
    wl_format_value(hi, sizeof hi, p->kind, p->max);
    if (p->kind == WL_STRING) {
        snprintf(left, sizeof left, "    %s=PATH", p->key);
        fprintf(out, "%-*s %s (required)\n", HELP_KEY_COLUMN, left, p->help);
        return;
    }
    snprintf(left, sizeof left, "    %s=%s", p->key, def);
    fprintf(out, "%-*s %s (%s to %s)\n", HELP_KEY_COLUMN, left, p->help, lo, hi);
}

static void help_scenario(FILE *out, const wl_scenario *sc)
{
    fprintf(out, "\n  %-*s%s\n", HELP_NAME_COLUMN, sc->name, sc->help);
    if (sc->default_duration_ns > 0)
        fprintf(out,
                "  %-*sruns for --duration; when not given, %.0fs headless and until you quit in "
                "the live view\n",
                HELP_NAME_COLUMN, "", (double)sc->default_duration_ns / 1e9);
    for (size_t i = 0; i < sc->nparams; i++)
        help_param(out, &sc->params[i]);
}

void hs_workload_help(FILE *out)
{
    fputs("Workloads: --workload NAME[:key=value,...], e.g. binary-trees:depth=10\n", out);
    for (size_t i = 0; i < NSCENARIOS; i++)
        help_scenario(out, scenarios[i]);
    fputs("\nSizes take a unit: KiB MiB GiB (or K M G) are powers of 1024, KB MB GB of 1000.\n"
          "The same --seed and parameters give each P the same operations; compare pool\n"
          "and prealloc runs of the same steps= in both modes to see the cycles saved.\n",
          out);
}
