/*
 * index.c — where each frame and marker of a recording is.
 *
 * A recording closed properly ends with an index block and a trailer
 * pointing at it; rec_load_index takes the index from there after checking
 * every offset in it against the file.  A recording cut off (the process
 * killed, the disk full) has no trailer, or a torn one; rec_scan then walks
 * the blocks from the header, each block header's checksum and length
 * telling where the next one starts, and stops at the first block that is
 * incomplete or damaged: every frame before it is complete.  Frames are
 * numbered in their headers, so a gap or a repeat also ends the scan.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record/reader.h"

static bool add_frame(hs_recording *r, const rec_index_frame *e)
{
    if (!rec_grow(&r->frames, &r->frames_cap, r->nframes + 1, sizeof(*e)))
        return false;
    r->frames[r->nframes++] = *e;
    return true;
}

/* The marker block at off (its payload already in r->raw as b says). */
static bool add_marker(hs_recording *r, const rec_block *b)
{
    if (!rec_grow(&r->markers, &r->markers_cap, r->nmarkers + 1, sizeof(rec_marker)))
        return false;
    size_t n = b->raw_bytes < REC_MAX_CAPTION ? b->raw_bytes : REC_MAX_CAPTION;
    char *caption = malloc(n + 1);
    if (caption == NULL)
        return false;
    memcpy(caption, r->raw, n);
    caption[n] = '\0';
    r->markers[r->nmarkers++] = (rec_marker){b->t_ns, 0, caption};
    return true;
}

static void forget(hs_recording *r)
{
    for (size_t i = 0; i < r->nmarkers; i++)
        free(r->markers[i].caption);
    r->nframes = r->nmarkers = 0;
}

/* ---- from the trailer ------------------------------------------------------------------ */

/* Frame entries from the index payload in r->raw; each block must lie
 * between the header and the index, in order. */
static bool parse_frames(hs_recording *r, uint32_t nframes, uint64_t index_offset)
{
    const uint8_t *p = r->raw + REC_INDEX_PREFIX_BYTES;
    uint64_t next = REC_HEADER_BYTES;
    for (uint32_t i = 0; i < nframes; i++, p += REC_INDEX_FRAME_BYTES) {
        rec_index_frame e = {get_le64(p), (int64_t)get_le64(p + 8), get_le32(p + 16),
                             get_le32(p + 20)};
        bool key = e.flags & REC_FRAME_KEY;
        if (e.offset < next || e.offset > index_offset ||
            index_offset - e.offset < REC_BLOCK_HEADER_BYTES ||
            e.payload_bytes > index_offset - e.offset - REC_BLOCK_HEADER_BYTES ||
            (i == 0 && !key) || (e.flags & ~(uint32_t)REC_FRAME_KEY) || !add_frame(r, &e))
            return false;
        next = e.offset + REC_BLOCK_HEADER_BYTES + e.payload_bytes;
    }
    return true;
}

/* Marker blocks at the offsets listed after the frames. */
static bool read_markers(hs_recording *r, uint32_t nframes, uint32_t nmarkers,
                         uint64_t index_offset)
{
    size_t len = REC_INDEX_PREFIX_BYTES + (size_t)nframes * REC_INDEX_FRAME_BYTES +
                 (size_t)nmarkers * REC_INDEX_MARKER_BYTES;
    uint8_t *copy = malloc(len); /* r->raw is reused by each marker's block */
    if (copy == NULL)
        return false;
    memcpy(copy, r->raw, len);
    const uint8_t *p = copy + len - (size_t)nmarkers * REC_INDEX_MARKER_BYTES;
    bool ok = true;
    for (uint32_t i = 0; i < nmarkers && ok; i++, p += REC_INDEX_MARKER_BYTES) {
        rec_block b;
        uint64_t off = get_le64(p);
        ok = off >= REC_HEADER_BYTES && rec_read_block(r, off, index_offset, &b) == NULL &&
             b.kind == REC_BLOCK_MARKER && add_marker(r, &b);
    }
    free(copy);
    return ok;
}

bool rec_load_index(hs_recording *r)
{
    uint8_t buf[REC_TRAILER_BYTES];
    rec_trailer t;
    rec_block b;
    if (r->file_bytes < REC_HEADER_BYTES + REC_BLOCK_HEADER_BYTES + REC_TRAILER_BYTES ||
        pread(r->fd, buf, sizeof(buf), (off_t)(r->file_bytes - sizeof(buf))) != sizeof(buf) ||
        !rec_trailer_get(buf, &t))
        return false;
    uint64_t end = r->file_bytes - REC_TRAILER_BYTES;
    if (t.index_offset < REC_HEADER_BYTES || t.index_offset > end ||
        rec_read_block(r, t.index_offset, end, &b) != NULL || b.kind != REC_BLOCK_INDEX ||
        t.index_offset + REC_BLOCK_HEADER_BYTES + b.payload_bytes != end ||
        b.raw_bytes < REC_INDEX_PREFIX_BYTES || get_le32(r->raw) != t.frames ||
        get_le32(r->raw + 4) != t.markers ||
        b.raw_bytes != REC_INDEX_PREFIX_BYTES + (uint64_t)t.frames * REC_INDEX_FRAME_BYTES +
                           (uint64_t)t.markers * REC_INDEX_MARKER_BYTES)
        return false;
    if (!parse_frames(r, t.frames, t.index_offset) ||
        !read_markers(r, t.frames, t.markers, t.index_offset)) {
        forget(r);
        return false;
    }
    r->data_end = t.index_offset;
    return true;
}

/* ---- by a scan ------------------------------------------------------------------------- */

bool rec_scan(hs_recording *r)
{
    forget(r);
    uint64_t off = REC_HEADER_BYTES;
    uint8_t h[REC_BLOCK_HEADER_BYTES];
    rec_block b;
    while (off + sizeof(h) <= r->file_bytes &&
           pread(r->fd, h, sizeof(h), (off_t)off) == (ssize_t)sizeof(h) && rec_block_get(h, &b) &&
           b.payload_bytes <= r->file_bytes - off - sizeof(h) && b.kind != REC_BLOCK_INDEX) {
        bool frame = b.kind == REC_BLOCK_KEYFRAME || b.kind == REC_BLOCK_DELTA;
        bool key = b.kind == REC_BLOCK_KEYFRAME;
        if (frame && (b.seq != r->nframes || (r->nframes == 0 && !key)))
            break;
        rec_index_frame e = {off, b.t_ns, b.payload_bytes, key ? REC_FRAME_KEY : 0};
        if (frame && !add_frame(r, &e))
            return false;
        /* A damaged marker is left out; the frames after it still count. */
        rec_block m;
        if (!frame && rec_read_block(r, off, r->file_bytes, &m) == NULL && !add_marker(r, &m))
            return false;
        off += sizeof(h) + b.payload_bytes;
    }
    r->data_end = off;
    return true;
}

void rec_place_markers(hs_recording *r)
{
    for (size_t i = 0; i < r->nmarkers; i++)
        r->markers[i].frame = hs_recording_frame_at(r, r->markers[i].t_ns);
}
