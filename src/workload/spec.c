/*
 * spec.c — workload specs: "NAME[:key=value,...]" into an hs_workload.
 *
 * Parsing, in order:
 *   1. NAME, up to the first ':', must name a scenario of the registry;
 *   2. every parameter starts at its default;
 *   3. each comma-separated key=value after the ':' must name a parameter of
 *      that scenario, once, with a value of its kind inside its range;
 *   4. every text parameter (it has no default) must have been given;
 *   5. the scenario's load() reads what the parameters name (a trace file).
 * The first problem ends the parse with a status and one sentence, which
 * quotes what the user wrote (control characters shown as '?').
 */
#include <config.h>

#include "workload/scenario.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PARAM_TEXT 4200 /* one key=value: room for a path of PATH_MAX */

__attribute__((format(printf, 4, 5))) static hs_workload_status
fail(char *why, size_t n, hs_workload_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    for (char *p = why; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return st;
}

/* "binary-trees, churn" */
static void list_names(char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < wl_scenario_count(); i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", i ? ", " : "", wl_scenario_at(i)->name);
    }
}

/* "depth" or "live, rate, garbage" */
static void list_keys(const wl_scenario *sc, char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; i < sc->nparams; i++) {
        size_t used = strlen(buf);
        snprintf(buf + used, n - used, "%s%s", i ? ", " : "", sc->params[i].key);
    }
}

static int find_param(const wl_scenario *sc, const char *key)
{
    for (size_t i = 0; i < sc->nparams; i++)
        if (strcmp(sc->params[i].key, key) == 0)
            return (int)i;
    return -1;
}

static hs_workload_status set_text(hs_workload *w, int i, const char *text, char *why, size_t n)
{
    char *copy = strdup(text);
    if (copy == NULL)
        return fail(why, n, HS_WORKLOAD_NOMEM, "out of memory parsing the workload");
    free(w->texts[i]);
    w->texts[i] = copy;
    return HS_WORKLOAD_OK;
}

static hs_workload_status set_value(hs_workload *w, int i, const char *key, const char *text,
                                    char *why, size_t n)
{
    const wl_param *p = &w->sc->params[i];
    int64_t v;
    char lo[32], hi[32];
    if (p->kind == WL_STRING)
        return set_text(w, i, text, why, n);
    if (p->kind == WL_DECIMAL && !wl_parse_decimal(text, &v))
        return fail(why, n, HS_WORKLOAD_BAD_VALUE, "%s=%.40s is not a decimal number (try 0.5)",
                    key, text);
    if (p->kind == WL_SIZE && !wl_parse_size(text, &v))
        return fail(why, n, HS_WORKLOAD_BAD_VALUE, "%s=%.40s is not a size (try 64MiB)", key, text);
    if (p->kind == WL_INT && !wl_parse_int(text, &v))
        return fail(why, n, HS_WORKLOAD_BAD_VALUE, "%s=%.40s is not a whole number", key, text);
    if (v < p->min || v > p->max) {
        wl_format_value(lo, sizeof lo, p->kind, p->min);
        wl_format_value(hi, sizeof hi, p->kind, p->max);
        return fail(why, n, HS_WORKLOAD_BAD_VALUE, "%s=%.40s is out of range (%s to %s)", key, text,
                    lo, hi);
    }
    w->values[i] = v;
    return HS_WORKLOAD_OK;
}

/* One key=value, len bytes at s. */
static hs_workload_status parse_param(hs_workload *w, const char *s, size_t len, bool *seen,
                                      char *why, size_t n)
{
    char buf[MAX_PARAM_TEXT], keys[128];
    if (len >= sizeof buf)
        return fail(why, n, HS_WORKLOAD_SYNTAX, "parameter '%.40s...' is too long", s);
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *eq = strchr(buf, '=');
    if (eq == NULL || eq == buf || eq[1] == '\0')
        return fail(why, n, HS_WORKLOAD_SYNTAX, "'%.40s' is not key=value", buf);
    *eq = '\0';
    int i = find_param(w->sc, buf);
    list_keys(w->sc, keys, sizeof keys);
    if (i < 0 && w->sc->nparams == 0)
        return fail(why, n, HS_WORKLOAD_BAD_KEY, "%s takes no parameters, not '%.40s'", w->sc->name,
                    buf);
    if (i < 0)
        return fail(why, n, HS_WORKLOAD_BAD_KEY, "%s has no parameter '%.40s' (it takes %s)",
                    w->sc->name, buf, keys);
    if (seen[i])
        return fail(why, n, HS_WORKLOAD_DUPLICATE, "%s is given twice", buf);
    seen[i] = true;
    return set_value(w, i, buf, eq + 1, why, n);
}

static hs_workload_status parse_params(hs_workload *w, const char *p, char *why, size_t n)
{
    bool seen[WL_MAX_PARAMS] = {false};
    for (;;) {
        size_t len = strcspn(p, ",");
        hs_workload_status st = parse_param(w, p, len, seen, why, n);
        if (st != HS_WORKLOAD_OK || p[len] == '\0')
            return st;
        p += len + 1;
    }
}

static hs_workload_status check_given(const hs_workload *w, char *why, size_t n)
{
    for (size_t i = 0; i < w->sc->nparams; i++)
        if (w->sc->params[i].kind == WL_STRING && w->texts[i] == NULL)
            return fail(why, n, HS_WORKLOAD_MISSING, "%s needs %s=... (%s)", w->sc->name,
                        w->sc->params[i].key, w->sc->params[i].help);
    return HS_WORKLOAD_OK;
}

static hs_workload_status parse_into(const char *spec, hs_workload *w, char *why, size_t n)
{
    char names[128];
    size_t len = strcspn(spec, ":");
    if (len == 0)
        return fail(why, n, HS_WORKLOAD_EMPTY, "the workload has no name (try binary-trees)");
    w->sc = wl_scenario_find(spec, len);
    if (w->sc == NULL) {
        list_names(names, sizeof names);
        return fail(why, n, HS_WORKLOAD_UNKNOWN, "there is no workload '%.*s' (this build has %s)",
                    (int)(len < 40 ? len : 40), spec, names);
    }
    for (size_t i = 0; i < w->sc->nparams; i++)
        w->values[i] = w->sc->params[i].def;
    hs_workload_status st =
        spec[len] == '\0' ? HS_WORKLOAD_OK : parse_params(w, spec + len + 1, why, n);
    return st == HS_WORKLOAD_OK ? check_given(w, why, n) : st;
}

/* Free what w owns, not w itself. */
static void release(hs_workload *w)
{
    for (size_t i = 0; i < WL_MAX_PARAMS; i++)
        free(w->texts[i]);
    if (w->data != NULL && w->sc->unload != NULL)
        w->sc->unload(w->data);
}

hs_workload_status hs_workload_parse(const char *spec, hs_workload **out, char *why, size_t n)
{
    hs_workload w = {0};
    *out = NULL;
    hs_workload_status st = parse_into(spec, &w, why, n);
    if (st == HS_WORKLOAD_OK && w.sc->load != NULL && !w.sc->load(&w, why, n))
        st = HS_WORKLOAD_BAD_INPUT;
    if (st == HS_WORKLOAD_OK && (*out = malloc(sizeof w)) == NULL)
        st = fail(why, n, HS_WORKLOAD_NOMEM, "out of memory parsing the workload");
    if (st != HS_WORKLOAD_OK) {
        if (w.sc != NULL)
            release(&w);
        return st;
    }
    **out = w;
    if (n > 0)
        why[0] = '\0';
    return HS_WORKLOAD_OK;
}

void hs_workload_free(hs_workload *w)
{
    if (w != NULL)
        release(w);
    free(w);
}

const char *hs_workload_name(const hs_workload *w)
{
    return w->sc->name;
}

void hs_workload_format(const hs_workload *w, char *buf, size_t n)
{
    char v[MAX_PARAM_TEXT];
    snprintf(buf, n, "%s", w->sc->name);
    for (size_t i = 0; i < w->sc->nparams; i++) {
        size_t used = strlen(buf);
        const wl_param *p = &w->sc->params[i];
        if (p->kind == WL_STRING)
            snprintf(v, sizeof v, "%s", w->texts[i]);
        else
            wl_format_value(v, sizeof v, p->kind, w->values[i]);
        snprintf(buf + used, n - used, " %s=%s", p->key, v);
    }
}

bool hs_workload_param(const hs_workload *w, const char *key, int64_t *value)
{
    int i = find_param(w->sc, key);
    if (i < 0 || w->sc->params[i].kind == WL_STRING)
        return false;
    *value = w->values[i];
    return true;
}

size_t hs_workload_nglobals(const hs_workload *w, int nprocs)
{
    return w->sc->nglobals(w->values, nprocs);
}

uint64_t hs_workload_default_duration(const hs_workload *w)
{
    return w->sc->default_duration_ns;
}
