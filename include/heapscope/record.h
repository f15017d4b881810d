/*
 * heapscope/record.h — recording a stream of snapshots to a file, and reading
 * it back.
 *
 * A recording is a versioned file of blocks (doc/recording-format.md has the
 * layout as offset tables): a header, then one block per frame, each either a
 * keyframe (a whole snapshot) or a delta against the frame before it, each
 * compressed with zstd and carrying a checksum; user markers as blocks of
 * their own between the frames; and at the end a frame index and a trailer,
 * so a reader seeks to any frame by decoding from the keyframe before it.
 *
 * Writing never makes the producer wait: hs_recorder_add copies the snapshot
 * into a bounded queue and returns; a writer thread encodes, compresses and
 * writes.  When the queue is full (the disk or the compressor falls behind)
 * the frame is dropped and counted.  A failed write (a full disk) stops the
 * recording: the stats say so in a sentence, and adding becomes a no-op.
 *
 * A file cut off at any byte (the process killed, the disk full) still opens:
 * without a valid trailer the reader scans the blocks and replays up to the
 * last complete frame.  A file that is not a recording, or is damaged, gets
 * one sentence naming the file and what is wrong, never a crash.
 *
 * The recorder and the reader depend on heapscope/snapshot.h only.
 */
#ifndef HEAPSCOPE_RECORD_H
#define HEAPSCOPE_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapscope/snapshot.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The file format this build writes, and the newest it reads; the oldest
 * it reads (version 1 predicted its deltas otherwise; version 2 predicted a
 * span's allocation count from its predicted cells, version 3 counts its
 * decoded ones). */
#define HS_RECORDING_VERSION 5
#define HS_RECORDING_VERSION_OLDEST 2

/* ---- writing ---------------------------------------------------------------- */

typedef struct hs_recorder hs_recorder;

typedef struct hs_recorder_opts {
    size_t queue_bytes; /* snapshot bytes the queue may hold; 0: 64 MiB */
    /* A keyframe at least every keyframe_every frames (0: 900, 30 s at 30 fps),
     * and sooner when the deltas since the last one add up to more than
     * keyframe_mib MiB of snapshot (0: 60): decoding a delta costs about its
     * snapshot's size, so this bounds the work of reaching any frame (a seek)
     * whatever the heap's size. */
    int keyframe_every;
    int keyframe_mib;
    int level; /* zstd level of the deltas; 0: 8 (keyframes use at least 6) */
} hs_recorder_opts;

/* Create (or truncate) path and start the writer thread; o may be NULL.  NULL
 * and one sentence naming the file when it cannot be opened. */
hs_recorder *hs_recorder_open(const char *path, const hs_recorder_opts *o, char *why, size_t n);

/* Queue a copy of s for writing.  Never waits for the writer: when the queue
 * is full the frame is dropped and counted.  A no-op once the recording has
 * failed.  One thread at a time (with hs_recorder_marker). */
void hs_recorder_add(hs_recorder *r, const hs_snapshot *s);

/* A user marker at t_ns (the snapshots' clock), with a caption ("" or NULL
 * for none; cut to 255 bytes).  Written in order with the frames. */
void hs_recorder_marker(hs_recorder *r, int64_t t_ns, const char *caption);

typedef struct hs_recorder_stats {
    uint64_t frames_written; /* frames complete in the file */
    uint64_t frames_dropped; /* frames the full queue turned away */
    uint64_t keyframes;      /* of frames_written */
    uint64_t bytes_written;  /* bytes in the file so far */
    uint64_t raw_bytes;      /* snapshot bytes of the frames written */
    int64_t busy_ns;         /* the writer thread's CPU time: encoding, compressing, writing */
    bool failed;             /* a write failed: the recording stopped */
    char error[160];         /* why, one sentence naming the file; "" */
} hs_recorder_stats;

/* Any thread, any time before hs_recorder_close. */
hs_recorder_stats hs_recorder_get_stats(hs_recorder *r);

/* Wait until everything queued so far is written (or the recording has
 * failed).  It waits for the disk: not for a producer that must not be held
 * (tests, benchmarks, the end of a session). */
void hs_recorder_flush(hs_recorder *r);

/* Write what is queued, then the index and the trailer; stop the thread,
 * close the file and free r.  0 when the whole recording is in the file; -1
 * and why (the recording failed, or the index could not be written) — the
 * frames written so far replay anyway.  Frees r in both cases. */
int hs_recorder_close(hs_recorder *r, char *why, size_t n);

/* ---- reading ---------------------------------------------------------------- */

typedef struct hs_recording hs_recording;

/* Open a recording.  NULL and one sentence naming the file and what is wrong
 * (not a recording, a version from the future, a truncated header, a corrupt
 * block) when it cannot be read. */
hs_recording *hs_recording_open(const char *path, char *why, size_t n);

size_t hs_recording_frames(const hs_recording *r);
/* Frame i's snapshot time (its t_ns); i < hs_recording_frames(r). */
int64_t hs_recording_frame_time(const hs_recording *r, size_t i);
/* The first frame at or after t_ns (the last frame when none is). */
size_t hs_recording_frame_at(const hs_recording *r, int64_t t_ns);
/* Bytes frame i's block takes in the file. */
uint64_t hs_recording_frame_bytes(const hs_recording *r, size_t i);
/* Is frame i a keyframe (decoded without the frames before it)? */
bool hs_recording_is_keyframe(const hs_recording *r, size_t i);

/* Frame i, decoded and checked (hs_snapshot_check).  Valid until the next
 * call on r.  NULL and why when its block is corrupt or i is out of range.
 * Stepping forward one frame decodes one block; a jump decodes from the
 * keyframe at or before i. */
const hs_snapshot *hs_recording_frame(hs_recording *r, size_t i, char *why, size_t n);

size_t hs_recording_markers(const hs_recording *r);
/* Marker i: its time, the first frame at or after it (the last frame when
 * none is), and its caption ("" for none; valid until hs_recording_close).
 * False when i is out of range.  Any output pointer may be NULL. */
bool hs_recording_marker(const hs_recording *r, size_t i, int64_t *t_ns, size_t *frame,
                         const char **caption);

/* The file was cut off (no valid trailer): the index was rebuilt by a scan,
 * and the frames are those complete before the cut. */
bool hs_recording_truncated(const hs_recording *r);
/* Bytes of the file. */
uint64_t hs_recording_file_bytes(const hs_recording *r);

void hs_recording_close(hs_recording *r);

#ifdef __cplusplus
}
#endif
#endif /* HEAPSCOPE_RECORD_H */
