/*
 * format.h — the recording file on disk: the header, the block header, the
 * trailer, the payloads of frames and of the index, and the checks every
 * reader applies before trusting a length.  doc/recording-format.md is the
 * same layout as offset tables; keep the two in step.
 *
 * Every integer is little-endian.  The snapshots inside frames are their own
 * bytes (heapscope/snapshot.h), which are little-endian on every machine
 * heapscope builds for.
 */
#ifndef HS_RECORD_FORMAT_H
#define HS_RECORD_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define REC_MAGIC "HSREC\r\n\x1a" /* 8 bytes; \r\n\x1a catch text-mode mangling */
#define REC_MAGIC_LEN 8
#define REC_HEADER_BYTES 64
#define REC_BLOCK_HEADER_BYTES 32
#define REC_TRAILER_MAGIC "HSRECEND"
#define REC_TRAILER_BYTES 32

/* Block tags (the first 4 bytes of a block header). */
#define REC_TAG_KEYFRAME "KEYF"
#define REC_TAG_DELTA "DELT"
#define REC_TAG_MARKER "MARK"
#define REC_TAG_INDEX "INDX"

typedef enum rec_block_kind {
    REC_BLOCK_BAD = 0, /* not a tag this build knows */
    REC_BLOCK_KEYFRAME,
    REC_BLOCK_DELTA,
    REC_BLOCK_MARKER,
    REC_BLOCK_INDEX,
} rec_block_kind;

/* The file header, bytes 0..63. */
typedef struct rec_header {
    uint32_t version;          /* HS_RECORDING_VERSION */
    uint32_t header_bytes;     /* REC_HEADER_BYTES */
    uint32_t snapshot_version; /* HS_SNAPSHOT_VERSION of every frame */
    uint32_t keyframe_every;
    int64_t created_ns;    /* wall clock (CLOCK_REALTIME) when the file was made */
    uint32_t keyframe_mib; /* at most this many MiB of snapshot decoded between keyframes */
} rec_header;

/* A block header; the payload (a zstd frame of raw_bytes) follows it. */
typedef struct rec_block {
    rec_block_kind kind;
    uint32_t payload_bytes; /* compressed, after the header */
    uint32_t raw_bytes;     /* decompressed */
    uint32_t seq;           /* frame: its index; marker: frames before it; index: frames */
    int64_t t_ns;           /* frame: the snapshot's t_ns; marker: the marker's */
} rec_block;

/* The trailer, the last 32 bytes of a closed recording. */
typedef struct rec_trailer {
    uint64_t index_offset; /* of the index block */
    uint32_t frames, markers;
} rec_trailer;

/* Frame payloads start with this, then the span script (script_words
 * uint32), then the transformed snapshot (snapshot_bytes). */
#define REC_FRAME_PREFIX_BYTES 16
enum { REC_MODE_RAW = 0, REC_MODE_DELTA = 1 };
#define REC_NO_SHIFT UINT32_MAX

typedef struct rec_frame_prefix {
    uint32_t snapshot_bytes;
    uint32_t mode; /* REC_MODE_* */
    uint32_t script_words;
    uint32_t event_shift; /* delta.c; REC_NO_SHIFT when none */
} rec_frame_prefix;

/* Index payload: frames and markers counts, then a 24-byte entry per frame
 * and an 8-byte block offset per marker. */
#define REC_INDEX_PREFIX_BYTES 8
#define REC_INDEX_FRAME_BYTES 24
#define REC_INDEX_MARKER_BYTES 8
enum { REC_FRAME_KEY = 1 };

typedef struct rec_index_frame {
    uint64_t offset; /* of its block */
    int64_t t_ns;
    uint32_t payload_bytes;
    uint32_t flags; /* REC_FRAME_KEY */
} rec_index_frame;

/* The largest raw payload a reader accepts: a snapshot of 1 GiB is a heap of
 * about 200 GiB of 8 KiB pages. */
#define REC_MAX_RAW_BYTES ((uint32_t)1 << 30)
#define REC_MAX_CAPTION 255

/* ---- little-endian fields ---------------------------------------------------------- */

static inline void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_le64(const uint8_t *p)
{
    return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

/* Make the array *p (capacity *cap elements of elem bytes) hold at least
 * need, growing it by half again.  False when out of memory (*p unchanged). */
bool rec_grow(void *p, size_t *cap, size_t need, size_t elem);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of n bytes: guards the small headers;
 * payloads carry zstd's own checksum of their content. */
uint32_t rec_crc32(const uint8_t *p, size_t n);

void rec_header_put(uint8_t out[REC_HEADER_BYTES], const rec_header *h);
void rec_block_put(uint8_t out[REC_BLOCK_HEADER_BYTES], const rec_block *b);
void rec_trailer_put(uint8_t out[REC_TRAILER_BYTES], const rec_trailer *t);

/* Parse a block header: false when its checksum or tag is wrong or its raw
 * size is out of reach (then *b is undefined). */
bool rec_block_get(const uint8_t in[REC_BLOCK_HEADER_BYTES], rec_block *b);
bool rec_trailer_get(const uint8_t in[REC_TRAILER_BYTES], rec_trailer *t);

void rec_frame_prefix_put(uint8_t out[REC_FRAME_PREFIX_BYTES], const rec_frame_prefix *f);
void rec_frame_prefix_get(const uint8_t in[REC_FRAME_PREFIX_BYTES], rec_frame_prefix *f);

#endif
