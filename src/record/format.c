/*
 * format.c — packing and unpacking the fixed-size parts of a recording: the
 * file header, block headers, the trailer and the frame payload's prefix
 * (format.h has the layout; doc/recording-format.md the offset tables).
 *
 * Headers and the trailer end with a CRC-32 of the bytes before it, so a
 * torn or damaged header is refused before any length in it is believed.
 */
#include <config.h>

#include <stdlib.h>

#include "record/format.h"

bool rec_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t n = need + need / 2 + 16;
    void *q = realloc(*(void **)p, n * elem);
    if (q == NULL)
        return false;
    *(void **)p = q;
    *cap = n;
    return true;
}

uint32_t rec_crc32(const uint8_t *p, size_t n)
{
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

/* Seal a header of n bytes: its last 4 bytes are the CRC of the rest. */
static void seal(uint8_t *out, size_t n)
{
    put_le32(out + n - 4, rec_crc32(out, n - 4));
}

static bool sealed(const uint8_t *in, size_t n)
{
    return get_le32(in + n - 4) == rec_crc32(in, n - 4);
}

void rec_header_put(uint8_t out[REC_HEADER_BYTES], const rec_header *h)
{
    memset(out, 0, REC_HEADER_BYTES);
    memcpy(out, REC_MAGIC, REC_MAGIC_LEN);
    put_le32(out + 8, h->version);
    put_le32(out + 12, h->header_bytes);
    put_le32(out + 16, h->snapshot_version);
    put_le32(out + 20, h->keyframe_every);
    put_le64(out + 24, (uint64_t)h->created_ns);
    put_le32(out + 32, h->keyframe_mib);
    seal(out, REC_HEADER_BYTES);
}

static const char *const tags[] = {
    [REC_BLOCK_KEYFRAME] = REC_TAG_KEYFRAME,
    [REC_BLOCK_DELTA] = REC_TAG_DELTA,
    [REC_BLOCK_MARKER] = REC_TAG_MARKER,
    [REC_BLOCK_INDEX] = REC_TAG_INDEX,
};

void rec_block_put(uint8_t out[REC_BLOCK_HEADER_BYTES], const rec_block *b)
{
    memset(out, 0, REC_BLOCK_HEADER_BYTES);
    memcpy(out, tags[b->kind], 4);
    put_le32(out + 4, b->payload_bytes);
    put_le32(out + 8, b->raw_bytes);
    put_le32(out + 12, b->seq);
    put_le64(out + 16, (uint64_t)b->t_ns);
    seal(out, REC_BLOCK_HEADER_BYTES);
}

bool rec_block_get(const uint8_t in[REC_BLOCK_HEADER_BYTES], rec_block *b)
{
    if (!sealed(in, REC_BLOCK_HEADER_BYTES))
        return false;
    b->kind = REC_BLOCK_BAD;
    for (int k = REC_BLOCK_KEYFRAME; k <= REC_BLOCK_INDEX; k++)
        if (memcmp(in, tags[k], 4) == 0)
            b->kind = (rec_block_kind)k;
    b->payload_bytes = get_le32(in + 4);
    b->raw_bytes = get_le32(in + 8);
    b->seq = get_le32(in + 12);
    b->t_ns = (int64_t)get_le64(in + 16);
    return b->kind != REC_BLOCK_BAD && b->raw_bytes <= REC_MAX_RAW_BYTES;
}

void rec_trailer_put(uint8_t out[REC_TRAILER_BYTES], const rec_trailer *t)
{
    memset(out, 0, REC_TRAILER_BYTES);
    memcpy(out, REC_TRAILER_MAGIC, 8);
    put_le64(out + 8, t->index_offset);
    put_le32(out + 16, t->frames);
    put_le32(out + 20, t->markers);
    seal(out, REC_TRAILER_BYTES);
}

bool rec_trailer_get(const uint8_t in[REC_TRAILER_BYTES], rec_trailer *t)
{
    if (memcmp(in, REC_TRAILER_MAGIC, 8) != 0 || !sealed(in, REC_TRAILER_BYTES))
        return false;
    t->index_offset = get_le64(in + 8);
    t->frames = get_le32(in + 16);
    t->markers = get_le32(in + 20);
    return true;
}

void rec_frame_prefix_put(uint8_t out[REC_FRAME_PREFIX_BYTES], const rec_frame_prefix *f)
{
    put_le32(out, f->snapshot_bytes);
    put_le32(out + 4, f->mode);
    put_le32(out + 8, f->script_words);
    put_le32(out + 12, f->event_shift);
}

void rec_frame_prefix_get(const uint8_t in[REC_FRAME_PREFIX_BYTES], rec_frame_prefix *f)
{
    f->snapshot_bytes = get_le32(in);
    f->mode = get_le32(in + 4);
    f->script_words = get_le32(in + 8);
    f->event_shift = get_le32(in + 12);
}
