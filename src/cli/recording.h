/*
 * recording.h — a session's recording (src/cli/ only): a thread that takes
 * each new snapshot a publisher offers and hands it to a recorder, so the
 * recorder sees the same stream as the UI and neither knows the other.
 */
#ifndef HS_CLI_RECORDING_H
#define HS_CLI_RECORDING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "heapscope/record.h"
#include "heapscope/snapshot.h"

typedef struct cli_recording cli_recording;

/* Record what pub publishes to path, looking fps times a second (twice the
 * snapshot rate, so none is missed).  NULL with why (a sentence naming the
 * file) when the file cannot be written. */
cli_recording *cli_recording_start(const char *path, hs_snapshot_publisher *pub, int fps,
                                   char *why, size_t n);
/* A user marker at the newest snapshot's time. */
void cli_recording_marker(cli_recording *r, const char *caption);
hs_recorder_stats cli_recording_stats(cli_recording *r);
const char *cli_recording_path(const cli_recording *r);
/* Stop, record the newest snapshot if it is new, flush and close: 0, or -1
 * with why.  *final (when not NULL) gets the statistics of the whole file,
 * its last frame included: the frame count a reader of the file finds. */
int cli_recording_stop(cli_recording *r, hs_recorder_stats *final, char *why, size_t n);

/* A view's recording, as --record and the R and m keys drive it: the same
 * for the live view of the runtime and the view of an attached program.
 * Zero it, then set path (--record's, or NULL), pub and fps. */
typedef struct cli_session_rec {
    const char *path;
    hs_snapshot_publisher *pub;
    int fps;
    cli_recording *rec; /* while recording */
    bool used;          /* path was written once: R picks new names */
    char recorded[300]; /* what the last recording came to */
} cli_session_rec;

/* Start recording (to path the first time, then to a name with the date);
 * false with why. */
bool cli_session_rec_start(cli_session_rec *r, char *why, size_t n);
/* Stop; what it came to (or why it failed) in why.  0 or -1. */
int cli_session_rec_stop(cli_session_rec *r, char *why, size_t n);
/* hs_ui_opts' record, marker and recording callbacks, on a cli_session_rec. */
bool cli_session_rec_key(void *ctx, bool on, char *why, size_t n);
void cli_session_rec_marker(void *ctx, const char *caption);
bool cli_session_rec_status(void *ctx, char *status, size_t n);

#endif
