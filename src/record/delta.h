/*
 * delta.h — the transform that turns a snapshot into bytes that compress
 * well, given the frame before it (delta.c explains it).
 */
#ifndef HS_RECORD_DELTA_H
#define HS_RECORD_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapscope/snapshot.h"

/* Working memory, reused from frame to frame; one per encoder or decoder. */
typedef struct delta_ctx {
    int32_t *map;  /* new span i -> its span in the previous frame, or -1 */
    int32_t *rmap; /* previous frame's span j -> its new span, or -1 */
    size_t map_cap, rmap_cap;
    uint8_t *scratch; /* the predicted cells */
    size_t scratch_cap;
    uint8_t *pscratch; /* the predicted page map */
    size_t pscratch_cap;
    int32_t *mcache; /* each P's cached span of each class, by the span table */
    size_t mcache_cap;
    uint8_t *changed; /* which spans' differences are not all zero */
    uint32_t *rows;   /* decoding a packed span table: the spans it holds rows of */
    size_t rows_cap;
    uint32_t cells_mode; /* decoding format 4: the cells' stream bytes, 0 for bit planes */
    uint8_t *planes;  /* the cells' differences, while split into bit planes or joined */
    size_t planes_cap;
    size_t changed_cap;
    uint32_t *script; /* the span script: (run << 2 | op) words */
    size_t script_len, script_cap;
    uint32_t event_shift; /* the previous frame's event equal to event 0; REC_NO_SHIFT */
    struct rows_coder *rowc; /* format 5: the changed rows' coder (delta_rows.c) */
    const uint8_t *rows_in;  /* decoding format 5: the stream, in script, and its bytes */
    uint32_t rows_len;
    uint32_t format; /* the format version to code: 2 to 5, or 0 for the newest (5) */
} delta_ctx;

void delta_ctx_destroy(delta_ctx *c);

/* Is s (of bytes bytes) laid out exactly as snapshot.h's layout table says,
 * arrays in that order with nothing between them?  Only such snapshots are
 * delta-coded; others are stored raw. */
bool delta_canonical(const hs_snapshot *s, size_t bytes);

/* Transform cur (canonical) against prev (canonical, or NULL for a
 * keyframe) into out (cur->size bytes); c->script and c->event_shift are
 * set for the decoder.  False when out of memory. */
bool delta_encode(delta_ctx *c, const hs_snapshot *prev, const hs_snapshot *cur, uint8_t *out);

/* Give a decoder the span script (n little-endian words) and the event
 * shift stored with a frame.  False when out of memory. */
bool delta_set_script(delta_ctx *c, const uint8_t *words, size_t n, uint32_t event_shift);

/* The inverse: rebuild the snapshot of size bytes into cur from in, prev
 * (the frame before, canonical; NULL for a keyframe), c->script and
 * c->event_shift.  False (and why) when the data cannot be a canonical
 * snapshot or the script does not fit the two frames.  cur still has to pass
 * hs_snapshot_check before anything follows its offsets.  in is changed (a
 * packed span table is unpacked in place). */
bool delta_decode(delta_ctx *c, const hs_snapshot *prev, uint8_t *in, size_t size,
                  hs_snapshot *cur, char *why, size_t n);

#endif
