/*
 * reader.h — the reader's state, shared by reader.c (opening, decoding
 * frames) and index.c (the frame index: from the trailer, or by a scan).
 */
#ifndef HS_RECORD_READER_H
#define HS_RECORD_READER_H

#include <zstd.h>

#include "heapscope/record.h"
#include "record/delta.h"
#include "record/format.h"

typedef struct rec_marker {
    int64_t t_ns;
    size_t frame;  /* the first frame at or after t_ns */
    char *caption; /* owned */
} rec_marker;

struct hs_recording {
    char *path;
    int fd;
    uint64_t file_bytes;
    uint64_t data_end; /* where the blocks end: the index block, or the file's end */
    rec_index_frame *frames;
    size_t nframes, frames_cap;
    rec_marker *markers;
    size_t nmarkers, markers_cap;
    bool truncated;
    ZSTD_DCtx *zd;
    delta_ctx dc;
    uint8_t *block, *raw; /* a block's payload, compressed and not */
    size_t block_cap, raw_cap;
    uint8_t *snap[2]; /* the decoded frame (snap[which]) and the next one */
    size_t snap_cap[2];
    int which;
    size_t cur;         /* the frame in snap[which]; NO_FRAME when none */
    bool cur_canonical; /* it can be the base of a delta */
    bool cur_checked;   /* it passed hs_snapshot_check */
    size_t cur_size;    /* its bytes */
    char err[160];      /* read_block's phrase */
};

#define NO_FRAME SIZE_MAX

/* Read the block at off, which must end by limit: its header into *b and its
 * payload, decompressed, into r->raw.  NULL, or a phrase saying what is
 * wrong ("it is cut off", ...). */
const char *rec_read_block(hs_recording *r, uint64_t off, uint64_t limit, rec_block *b);

/* Fill r->frames, r->markers and r->data_end from the trailer's index; false
 * (r->frames and r->markers emptied) when the file has no valid one. */
bool rec_load_index(hs_recording *r);
/* Fill them by walking the blocks from the header to the last complete one.
 * False only when out of memory. */
bool rec_scan(hs_recording *r);
/* Each marker's frame, once the frames are known. */
void rec_place_markers(hs_recording *r);

#endif
