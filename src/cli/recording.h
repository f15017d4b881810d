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

#endif
