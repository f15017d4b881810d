/*
 * value.c — the values of workload parameters: whole numbers, sizes and
 * decimals.
 *
 * The grammar is the command line's (src/cli/parse.c), kept to what workload
 * parameters need, so that the workload library does not lean on the CLI:
 *
 *   int   [-]DIGITS
 *   size  DIGITS [. DIGITS] [UNIT]    UNIT: B, K KiB M MiB G GiB T TiB (powers
 *                                     of 1024), KB MB GB TB (powers of 1000),
 *                                     any case; a fraction needs a unit above B
 *   decimal  DIGITS [. DIGITS]        kept in millionths (digits past the
 *                                     sixth dropped)
 *
 * Every byte must belong to the grammar; overflow is an error, never a wrap.
 * A size is the whole part times the unit plus the fraction (at most six
 * digits, the rest dropped) times the unit, truncated to whole bytes.
 */
#include <config.h>

#include "workload/scenario.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

#define MAX_FRAC_DIGITS 6
#define MILLION 1000000 /* 10^MAX_FRAC_DIGITS: decimals are kept in millionths */

typedef struct unit {
    const char *name;
    int64_t mult;
} unit;

#define KI ((int64_t)1 << 10)
static const unit units[] = {
    {"", 1},
    {"B", 1},
    {"K", KI},
    {"KiB", KI},
    {"KB", 1000},
    {"M", KI *KI},
    {"MiB", KI *KI},
    {"MB", 1000000},
    {"G", KI *KI *KI},
    {"GiB", KI *KI *KI},
    {"GB", 1000000000},
    {"T", KI *KI *KI *KI},
    {"TiB", KI *KI *KI *KI},
    {"TB", 1000000000000},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* DIGITS at *s into *v; false on overflow or no digit. */
static bool read_digits(const char **s, int64_t *v)
{
    const char *p = *s;
    int64_t x = 0;
    if (!is_digit(*p))
        return false;
    for (; is_digit(*p); p++) {
        int d = *p - '0';
        if (x > (INT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *s = p;
    *v = x;
    return true;
}

bool wl_parse_int(const char *s, int64_t *v)
{
    bool neg = *s == '-';
    int64_t x;
    s += neg;
    if (!read_digits(&s, &x) || *s != '\0')
        return false;
    *v = neg ? -x : x;
    return true;
}

/* [. DIGITS] at *s: the kept digits as frac / *scale. */
static bool read_fraction(const char **s, int64_t *frac, int64_t *scale)
{
    const char *p = *s;
    *frac = 0;
    *scale = 1;
    if (*p != '.')
        return true;
    if (!is_digit(*++p))
        return false;
    for (int kept = 0; is_digit(*p); p++, kept++) {
        if (kept < MAX_FRAC_DIGITS) {
            *frac = *frac * 10 + (*p - '0');
            *scale *= 10;
        }
    }
    *s = p;
    return true;
}

bool wl_parse_decimal(const char *s, int64_t *v)
{
    int64_t whole, frac, scale;
    if (!read_digits(&s, &whole) || !read_fraction(&s, &frac, &scale) || *s != '\0')
        return false;
    if (whole > INT64_MAX / MILLION)
        return false;
    *v = whole * MILLION + frac * (MILLION / scale);
    return true;
}

static const unit *find_unit(const char *name)
{
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcasecmp(units[i].name, name) == 0)
            return &units[i];
    return NULL;
}

bool wl_parse_size(const char *s, int64_t *v)
{
    int64_t whole, frac, scale;
    if (!read_digits(&s, &whole) || !read_fraction(&s, &frac, &scale))
        return false;
    const unit *u = find_unit(s);
    if (u == NULL || (u->mult == 1 && scale > 1))
        return false;
    if (whole > INT64_MAX / u->mult)
        return false;
    /* frac < scale <= 10^6 and mult <= 2^40: frac * mult < 2^60. */
    int64_t part = frac * u->mult / scale;
    if (whole * u->mult > INT64_MAX - part)
        return false;
    *v = whole * u->mult + part;
    return true;
}

void wl_format_value(char *buf, size_t n, wl_kind kind, int64_t v)
{
    static const char *const names[] = {"TiB", "GiB", "MiB", "KiB"};
    if (kind == WL_DECIMAL) {
        snprintf(buf, n, "%" PRId64 ".%06" PRId64, v / MILLION, v % MILLION);
        char *end = buf + strlen(buf);
        while (end[-1] == '0')
            *--end = '\0';
        if (end[-1] == '.')
            end[-1] = '\0';
        return;
    }
    if (kind == WL_SIZE && v > 0) {
        for (int i = 0; i < 4; i++) {
            int64_t m = (int64_t)1 << (10 * (4 - i));
            if (v % m == 0) {
                snprintf(buf, n, "%" PRId64 "%s", v / m, names[i]);
                return;
            }
        }
    }
    snprintf(buf, n, "%" PRId64, v);
}
