/*
 * exportint.h — what the exporters share (src/export/ only): a growing
 * byte buffer, and ANSI escape sequences for canvas cells.
 */
#ifndef HS_EXPORT_EXPORTINT_H
#define HS_EXPORT_EXPORTINT_H

#include <stdbool.h>
#include <stddef.h>

#include "heapscope/export.h"

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom; /* a write was lost: the buffer is incomplete */
} sbuf;

void sb_put(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A code point as UTF-8. */
void sb_utf8(sbuf *b, uint32_t c);
void sb_free(sbuf *b);

/* The SGR sequence that sets cell c's colors and attributes from scratch. */
void ansi_sgr(sbuf *b, const hs_tcell *c);
/* True when two cells are drawn with the same SGR. */
bool ansi_same_style(const hs_tcell *a, const hs_tcell *b);
/* What turns a terminal showing prev (or a blank one, prev NULL) into cv:
 * cursor moves, SGRs and characters for the cells that differ. */
void ansi_diff(sbuf *b, const hs_canvas *prev, const hs_canvas *cv);

#endif
