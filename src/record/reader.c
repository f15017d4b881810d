/*
 * reader.c — reading a recording: the header, the frames, the markers.
 *
 * Opening checks the header (magic, format version, the snapshot version,
 * its checksum), takes the frame index from the trailer or rebuilds it by a
 * scan (index.c), and decodes frame 0, so that a file whose content is
 * damaged from the start is refused at once.  Every refusal is one sentence
 * naming the file.
 *
 * Frames: frame i is the keyframe at or before it followed by the deltas up
 * to i, each applied to the frame before (delta.c).  The reader keeps the
 * last frame it decoded, so stepping forward decodes one block and a jump
 * decodes the blocks from the keyframe before it (the writer bounds their
 * work).  Two buffers: the frame returned and the one being decoded from
 * it; a decoded frame is returned only once hs_snapshot_check accepts it.
 *
 * Not thread-safe: one thread uses an hs_recording at a time.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/reader.h"

static bool pread_all(int fd, uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t k = pread(fd, p, n, (off_t)off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return true;
}

const char *rec_read_block(hs_recording *r, uint64_t off, uint64_t limit, rec_block *b)
{
    uint8_t h[REC_BLOCK_HEADER_BYTES];
    if (off > limit || limit - off < sizeof(h) || !pread_all(r->fd, h, sizeof(h), off))
        return "it is cut off";
    if (!rec_block_get(h, b))
        return "its block header is damaged";
    if (b->payload_bytes > limit - off - sizeof(h))
        return "it is cut off";
    if (!rec_grow(&r->block, &r->block_cap, b->payload_bytes + 1, 1) ||
        !rec_grow(&r->raw, &r->raw_cap, (size_t)b->raw_bytes + 1, 1))
        return "there is not enough memory to read it";
    if (!pread_all(r->fd, r->block, b->payload_bytes, off + sizeof(h)))
        return "it cannot be read";
    if (ZSTD_getFrameContentSize(r->block, b->payload_bytes) != b->raw_bytes)
        return "its compressed data is damaged";
    size_t z = ZSTD_decompressDCtx(r->zd, r->raw, b->raw_bytes, r->block, b->payload_bytes);
    if (ZSTD_isError(z)) {
        snprintf(r->err, sizeof(r->err), "its compressed data is damaged (%s)",
                 ZSTD_getErrorName(z));
        return r->err;
    }
    return z == b->raw_bytes ? NULL : "its compressed data is damaged";
}

/* ---- the header ------------------------------------------------------------------------ */

static bool read_header(hs_recording *r, char *why, size_t n)
{
    uint8_t h[REC_HEADER_BYTES] = {0};
    size_t have = r->file_bytes < sizeof(h) ? (size_t)r->file_bytes : sizeof(h);
    const char *p = r->path;
    if (!pread_all(r->fd, h, have, 0)) {
        snprintf(why, n, "cannot read the recording %s: %s", p, strerror(errno ? errno : EIO));
        return false;
    }
    uint32_t version = get_le32(h + 8);
    if (have == 0)
        snprintf(why, n, "%s is empty, not a heapscope recording", p);
    else if (memcmp(h, REC_MAGIC, have < REC_MAGIC_LEN ? have : REC_MAGIC_LEN) != 0)
        snprintf(why, n, "%s is not a heapscope recording (it does not start with \"HSREC\")", p);
    else if (have >= 12 && version > HS_RECORDING_VERSION)
        snprintf(why, n,
                 "%s is a recording of format version %u, newer than this heapscope reads (%d)", p,
                 version, HS_RECORDING_VERSION);
    else if (have < sizeof(h))
        snprintf(why, n, "%s is cut off inside its header (%zu of %d bytes)", p, have,
                 REC_HEADER_BYTES);
    else if (version >= 1 && version < HS_RECORDING_VERSION_OLDEST)
        snprintf(why, n,
                 "%s is a recording of format version %u, which this heapscope no longer reads "
                 "(it reads versions %d to %d)",
                 p, version, HS_RECORDING_VERSION_OLDEST, HS_RECORDING_VERSION);
    else if (get_le32(h + 60) != rec_crc32(h, 60))
        snprintf(why, n, "%s has a damaged header (its checksum does not match)", p);
    else if (version == 0 || get_le32(h + 12) != REC_HEADER_BYTES)
        snprintf(why, n, "%s has a damaged header (version %u, %u header bytes)", p, version,
                 get_le32(h + 12));
    else if (get_le32(h + 16) != HS_SNAPSHOT_VERSION)
        snprintf(why, n, "%s holds snapshots of version %u; this heapscope reads version %d", p,
                 get_le32(h + 16), HS_SNAPSHOT_VERSION);
    else {
        r->dc.format = version; /* the deltas of each version decode as it coded them */
        return true;
    }
    return false;
}

/* ---- frames ---------------------------------------------------------------------------- */

/* Check frame i's block b (payload in r->raw) against the index and the
 * frame before it; NULL or what is wrong. */
static const char *check_frame_block(hs_recording *r, size_t i, const rec_block *b,
                                     rec_frame_prefix *f)
{
    bool key = r->frames[i].flags & REC_FRAME_KEY;
    if (b->kind != (key ? REC_BLOCK_KEYFRAME : REC_BLOCK_DELTA) || b->seq != i ||
        b->payload_bytes != r->frames[i].payload_bytes)
        return "its block header does not match the index";
    if (b->raw_bytes < REC_FRAME_PREFIX_BYTES)
        return "its payload is too short";
    rec_frame_prefix_get(r->raw, f);
    if (b->raw_bytes !=
        REC_FRAME_PREFIX_BYTES + (uint64_t)f->snapshot_bytes + 4 * (uint64_t)f->script_words)
        return "its payload's sizes do not add up";
    if (f->mode > REC_MODE_DELTA || (f->mode == REC_MODE_RAW && !key))
        return "its payload's mode is unknown";
    if (!key && (r->cur != i - 1 || !r->cur_canonical))
        return "it is a delta of a frame that cannot have one";
    return NULL;
}

/* Decode frame i into the spare buffer from its block and, for a delta,
 * the current frame (i - 1); make it the current frame.  A frame on the way
 * to the one asked for is not checked: decoding a delta reads its base only
 * within bounds (delta.c), and the frame shown is checked. */
static bool decode_frame(hs_recording *r, size_t i, bool check, char *why, size_t n)
{
    rec_block b;
    rec_frame_prefix f = {0};
    char msg[160];
    const char *bad = rec_read_block(r, r->frames[i].offset, r->data_end, &b);
    if (bad == NULL)
        bad = check_frame_block(r, i, &b, &f);
    int next = 1 - r->which;
    size_t size = f.snapshot_bytes;
    if (bad == NULL && !rec_grow(&r->snap[next], &r->snap_cap[next],
                                 size > sizeof(hs_snapshot) ? size : sizeof(hs_snapshot), 1))
        bad = "there is not enough memory to decode it";
    hs_snapshot *out = (hs_snapshot *)(void *)r->snap[next];
    uint8_t *body = r->raw + REC_FRAME_PREFIX_BYTES; /* the decoder's to change */
    if (bad == NULL && f.mode == REC_MODE_RAW) {
        memcpy(out, body, size);
    } else if (bad == NULL) {
        const hs_snapshot *prev =
            b.kind == REC_BLOCK_DELTA ? (const hs_snapshot *)(const void *)r->snap[r->which] : NULL;
        if (!delta_set_script(&r->dc, body + size, f.script_words, f.event_shift))
            bad = "there is not enough memory to decode it";
        else if (!delta_decode(&r->dc, prev, body, size, out, msg, sizeof(msg)))
            bad = msg;
    }
    if (bad == NULL && check && hs_snapshot_check(out, size, msg, sizeof(msg)) != NULL)
        bad = msg;
    if (bad != NULL) {
        snprintf(why, n, "frame %zu of %s is corrupt: %s", i + 1, r->path, bad); /* as shown: from 1 */
        return false;
    }
    r->which = next;
    r->cur = i;
    r->cur_canonical = delta_canonical(out, size);
    r->cur_checked = check;
    r->cur_size = size;
    return true;
}

const hs_snapshot *hs_recording_frame(hs_recording *r, size_t i, char *why, size_t n)
{
    if (i >= r->nframes) {
        snprintf(why, n, "%s has no frame %zu (it has %zu)", r->path, i + 1, r->nframes);
        return NULL;
    }
    size_t k = i;
    while (k > 0 && !(r->frames[k].flags & REC_FRAME_KEY))
        k--;
    size_t from = r->cur != NO_FRAME && r->cur <= i && r->cur >= k ? r->cur + 1 : k;
    for (size_t j = from; j <= i; j++)
        if (!decode_frame(r, j, j == i, why, n))
            return NULL;
    const hs_snapshot *s = (const hs_snapshot *)(const void *)r->snap[r->which];
    char msg[160];
    if (!r->cur_checked && hs_snapshot_check(s, r->cur_size, msg, sizeof(msg)) != NULL) {
        snprintf(why, n, "frame %zu of %s is corrupt: %s", i + 1, r->path, msg);
        return NULL;
    }
    r->cur_checked = true;
    return s;
}

/* ---- open, close, the index ------------------------------------------------------------ */

static void recording_free(hs_recording *r)
{
    if (r->fd >= 0)
        close(r->fd);
    for (size_t i = 0; i < r->nmarkers; i++)
        free(r->markers[i].caption);
    free(r->markers);
    free(r->frames);
    ZSTD_freeDCtx(r->zd);
    delta_ctx_destroy(&r->dc);
    free(r->block);
    free(r->raw);
    free(r->snap[0]);
    free(r->snap[1]);
    free(r->path);
    free(r);
}

hs_recording *hs_recording_open(const char *path, char *why, size_t n)
{
    hs_recording *r = calloc(1, sizeof(*r));
    struct stat st;
    if (r != NULL)
        r->fd = -1;
    if (r == NULL || (r->path = strdup(path)) == NULL || (r->zd = ZSTD_createDCtx()) == NULL) {
        snprintf(why, n, "out of memory opening the recording %s", path);
        goto fail;
    }
    r->cur = NO_FRAME;
    if ((r->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(r->fd, &st) != 0) {
        snprintf(why, n, "cannot open the recording %s: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, n, "%s is not a regular file, so not a heapscope recording", path);
        goto fail;
    }
    r->file_bytes = (uint64_t)st.st_size;
    if (!read_header(r, why, n))
        goto fail;
    if (!rec_load_index(r)) {
        r->truncated = true;
        if (!rec_scan(r)) {
            snprintf(why, n, "out of memory reading the index of %s", path);
            goto fail;
        }
    }
    rec_place_markers(r);
    if (r->nframes > 0 && hs_recording_frame(r, 0, why, n) == NULL)
        goto fail;
    return r;
fail:
    if (r != NULL)
        recording_free(r);
    return NULL;
}

void hs_recording_close(hs_recording *r)
{
    if (r != NULL)
        recording_free(r);
}

size_t hs_recording_frames(const hs_recording *r)
{
    return r->nframes;
}

int64_t hs_recording_frame_time(const hs_recording *r, size_t i)
{
    return i < r->nframes ? r->frames[i].t_ns : 0;
}

uint64_t hs_recording_frame_bytes(const hs_recording *r, size_t i)
{
    return i < r->nframes ? REC_BLOCK_HEADER_BYTES + (uint64_t)r->frames[i].payload_bytes : 0;
}

bool hs_recording_is_keyframe(const hs_recording *r, size_t i)
{
    return i < r->nframes && (r->frames[i].flags & REC_FRAME_KEY);
}

size_t hs_recording_frame_at(const hs_recording *r, int64_t t_ns)
{
    size_t lo = 0, hi = r->nframes; /* the first frame with t >= t_ns is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->frames[mid].t_ns < t_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->nframes ? lo : (r->nframes > 0 ? r->nframes - 1 : 0);
}

size_t hs_recording_markers(const hs_recording *r)
{
    return r->nmarkers;
}

bool hs_recording_marker(const hs_recording *r, size_t i, int64_t *t_ns, size_t *frame,
                         const char **caption)
{
    if (i >= r->nmarkers)
        return false;
    if (t_ns != NULL)
        *t_ns = r->markers[i].t_ns;
    if (frame != NULL)
        *frame = r->markers[i].frame;
    if (caption != NULL)
        *caption = r->markers[i].caption;
    return true;
}

bool hs_recording_truncated(const hs_recording *r)
{
    return r->truncated;
}

uint64_t hs_recording_file_bytes(const hs_recording *r)
{
    return r->file_bytes;
}
