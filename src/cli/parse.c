/*
 * parse.c — the value parsers of the command line: sizes, durations, integers.
 *
 * All three read a decimal number by hand instead of through strtoull, which
 * would accept leading blanks, a sign, hex and wrap-around; here every byte of
 * the text must belong to the grammar and overflow is an error, never a wrap.
 *
 * A number is  DIGITS [ '.' DIGITS ]  and is kept as an exact fixed-point
 * value (whole, frac / scale).  Scaling by a unit u is exact and cannot
 * overflow in the middle:
 *
 *     frac * u / scale  =  frac * (u / scale) + frac * (u % scale) / scale
 *
 * where frac < scale <= 10^9, so frac * (u % scale) < 10^18 fits in 64 bits.
 * Fraction digits past the ninth are read and dropped (they change the result
 * by less than one unit / 10^9).
 */
#include <config.h>

#include "heapscope/cli.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#define MAX_FRAC_DIGITS 9

typedef struct decimal {
    uint64_t whole;
    uint64_t frac;  /* frac < scale */
    uint64_t scale; /* 10^(fraction digits kept); 1 when there is no fraction */
    bool has_point;
    bool overflow; /* the whole part does not fit in 64 bits */
} decimal;

typedef struct unit {
    const char *name;
    uint64_t mult;
} unit;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Read DIGITS into *v and return the end; *v saturates and *overflow is set
 * when the digits do not fit in 64 bits. */
static const char *read_digits(const char *s, uint64_t *v, bool *overflow)
{
    uint64_t x = 0;
    for (; is_digit(*s); s++) {
        uint64_t d = (uint64_t)(*s - '0');
        if (x > (UINT64_MAX - d) / 10)
            *overflow = true;
        else
            x = x * 10 + d;
    }
    *v = x;
    return s;
}

static const char *read_fraction(const char *s, decimal *d)
{
    int kept = 0;
    for (; is_digit(*s); s++) {
        if (kept == MAX_FRAC_DIGITS)
            continue;
        d->frac = d->frac * 10 + (uint64_t)(*s - '0');
        d->scale *= 10;
        kept++;
    }
    return s;
}

/* Read DIGITS [ '.' DIGITS ] at *s and advance *s past it. */
static hs_parse_status read_decimal(const char **s, decimal *d)
{
    const char *p = *s;
    *d = (decimal){.scale = 1};
    if (!is_digit(*p))
        return HS_PARSE_SYNTAX;
    p = read_digits(p, &d->whole, &d->overflow);
    if (*p == '.') {
        d->has_point = true;
        if (!is_digit(p[1]))
            return HS_PARSE_SYNTAX;
        p = read_fraction(p + 1, d);
    }
    *s = p;
    return HS_PARSE_OK;
}

/* d * mult, truncated; false when it does not fit in 64 bits. */
static bool scale_decimal(const decimal *d, uint64_t mult, uint64_t *out)
{
    if (d->overflow)
        return false;
    uint64_t q = mult / d->scale, r = mult % d->scale;
    uint64_t part = d->frac * q + d->frac * r / d->scale;
    if (d->whole != 0 && d->whole > (UINT64_MAX - part) / mult)
        return false;
    *out = d->whole * mult + part;
    return true;
}

/* ---- sizes ----------------------------------------------------------------- */

#define KI ((uint64_t)1 << 10)
#define KD ((uint64_t)1000)

static const unit size_units[] = {
    {"", 1},
    {"B", 1},
    {"K", KI},
    {"KiB", KI},
    {"KB", KD},
    {"M", KI *KI},
    {"MiB", KI *KI},
    {"MB", KD *KD},
    {"G", KI *KI *KI},
    {"GiB", KI *KI *KI},
    {"GB", KD *KD *KD},
    {"T", KI *KI *KI *KI},
    {"TiB", KI *KI *KI *KI},
    {"TB", KD *KD *KD *KD},
    {"P", KI *KI *KI *KI *KI},
    {"PiB", KI *KI *KI *KI *KI},
    {"PB", KD *KD *KD *KD *KD},
    {"E", KI *KI *KI *KI *KI *KI},
    {"EiB", KI *KI *KI *KI *KI *KI},
    {"EB", KD *KD *KD *KD *KD *KD},
};

static const unit *find_size_unit(const char *name)
{
    for (size_t i = 0; i < sizeof size_units / sizeof size_units[0]; i++)
        if (strcasecmp(size_units[i].name, name) == 0)
            return &size_units[i];
    return NULL;
}

hs_parse_status hs_parse_size(const char *text, uint64_t *bytes)
{
    if (*text == '\0')
        return HS_PARSE_EMPTY;
    if (*text == '-')
        return HS_PARSE_NEGATIVE;
    decimal d;
    const char *p = text;
    hs_parse_status st = read_decimal(&p, &d);
    if (st != HS_PARSE_OK)
        return st;
    const unit *u = find_size_unit(p);
    if (u == NULL || (u->mult == 1 && d.has_point))
        return HS_PARSE_SYNTAX;
    return scale_decimal(&d, u->mult, bytes) ? HS_PARSE_OK : HS_PARSE_RANGE;
}

/* ---- durations ----------------------------------------------------------- */

#define NS_US ((uint64_t)1000)
#define NS_MS (NS_US * 1000)
#define NS_S (NS_MS * 1000)

static const unit duration_units[] = {
    {"ns", 1},
    {"us", NS_US},
    {"\xc2\xb5s", NS_US}, /* U+00B5 micro sign */
    {"\xce\xbcs", NS_US}, /* U+03BC Greek small letter mu */
    {"ms", NS_MS},
    {"s", NS_S},
    {"m", 60 * NS_S},
    {"h", 3600 * NS_S},
};

/* The unit at s runs up to the next digit, '.' or the end. */
static const unit *read_duration_unit(const char **s)
{
    size_t n = strcspn(*s, "0123456789.");
    for (size_t i = 0; i < sizeof duration_units / sizeof duration_units[0]; i++) {
        const unit *u = &duration_units[i];
        if (strlen(u->name) == n && strncmp(u->name, *s, n) == 0) {
            *s += n;
            return u;
        }
    }
    return NULL;
}

/* Read one number+unit pair at *s and add it to *total. */
static hs_parse_status read_duration_term(const char **s, uint64_t *total)
{
    decimal d;
    hs_parse_status st = read_decimal(s, &d);
    if (st != HS_PARSE_OK)
        return st;
    const unit *u = read_duration_unit(s);
    if (u == NULL)
        return HS_PARSE_SYNTAX;
    uint64_t ns;
    if (!scale_decimal(&d, u->mult, &ns) || ns > (uint64_t)INT64_MAX - *total)
        return HS_PARSE_RANGE;
    *total += ns;
    return HS_PARSE_OK;
}

hs_parse_status hs_parse_duration(const char *text, uint64_t *ns)
{
    if (*text == '\0')
        return HS_PARSE_EMPTY;
    if (*text == '-')
        return HS_PARSE_NEGATIVE;
    uint64_t total = 0;
    const char *p = text;
    while (*p != '\0') {
        hs_parse_status st = read_duration_term(&p, &total);
        if (st != HS_PARSE_OK)
            return st;
    }
    *ns = total;
    return HS_PARSE_OK;
}

/* ---- integers ------------------------------------------------------------ */

hs_parse_status hs_parse_int(const char *text, int64_t min, int64_t max, int64_t *value)
{
    if (*text == '\0')
        return HS_PARSE_EMPTY;
    bool neg = *text == '-', overflow = false;
    const char *p = text + neg;
    uint64_t mag;
    if (!is_digit(*p) || *read_digits(p, &mag, &overflow) != '\0')
        return HS_PARSE_SYNTAX;
    if (overflow || mag > (uint64_t)INT64_MAX + neg)
        return HS_PARSE_RANGE;
    int64_t v = (neg && mag > 0) ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
    if (v < min || v > max)
        return HS_PARSE_RANGE;
    *value = v;
    return HS_PARSE_OK;
}
