/*
 * recording.c — the pump from a publisher to a recorder.
 *
 * The pump thread polls the publisher at twice the frame rate and records
 * each snapshot it has not seen (by seq); the recorder copies and returns
 * at once (its own writer thread does the work), so the pump never holds
 * the snapshot long and never holds the runtime at all.  Every snapshot
 * carries the events of the last second, so one missed now and then loses
 * no pause or phase change.  Markers are stamped with the time of the
 * newest snapshot seen.
 *
 * Below the pump, a view's recording (cli_session_rec): what --record, R
 * and m do, for the live view and the attached view alike.
 */
#include <config.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/recording.h"

struct cli_recording {
    hs_recorder *rec;
    hs_snapshot_publisher *pub;
    char path[4096];
    int64_t period_ns;
    pthread_t thread;
    pthread_mutex_t lock; /* guards stop, last_t and the recorder's calls */
    pthread_cond_t wake;
    bool stop;
    uint64_t last_seq;
    int64_t last_t;
};

static void *pump(void *arg)
{
    cli_recording *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stop) {
        const hs_snapshot *s = hs_snapshot_acquire(r->pub);
        if (s != NULL && s->seq != r->last_seq) {
            hs_recorder_add(r->rec, s);
            r->last_seq = s->seq;
            r->last_t = s->t_ns;
        }
        if (s != NULL)
            hs_snapshot_release(s);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t at = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec + r->period_ns;
        ts.tv_sec = at / 1000000000LL;
        ts.tv_nsec = at % 1000000000LL;
        pthread_cond_timedwait(&r->wake, &r->lock, &ts);
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

cli_recording *cli_recording_start(const char *path, hs_snapshot_publisher *pub, int fps,
                                   char *why, size_t n)
{
    cli_recording *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        snprintf(why, n, "out of memory");
        return NULL;
    }
    r->rec = hs_recorder_open(path, NULL, why, n);
    if (r->rec == NULL) {
        free(r);
        return NULL;
    }
    r->pub = pub;
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->period_ns = 1000000000LL / (2 * (fps > 0 ? fps : 30));
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    if (pthread_create(&r->thread, NULL, pump, r) != 0) {
        char ignored[160];
        hs_recorder_close(r->rec, ignored, sizeof(ignored));
        snprintf(why, n, "cannot start the recording's thread");
        free(r);
        return NULL;
    }
    return r;
}

void cli_recording_marker(cli_recording *r, const char *caption)
{
    pthread_mutex_lock(&r->lock);
    hs_recorder_marker(r->rec, r->last_t, caption);
    pthread_mutex_unlock(&r->lock);
}

hs_recorder_stats cli_recording_stats(cli_recording *r)
{
    return hs_recorder_get_stats(r->rec);
}

const char *cli_recording_path(const cli_recording *r)
{
    return r->path;
}

int cli_recording_stop(cli_recording *r, hs_recorder_stats *final, char *why, size_t n)
{
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    /* The last snapshot, so the recording ends where the session did. */
    const hs_snapshot *s = hs_snapshot_acquire(r->pub);
    if (s != NULL && s->seq != r->last_seq)
        hs_recorder_add(r->rec, s);
    if (s != NULL)
        hs_snapshot_release(s);
    /* Counted once everything queued is in the file: what a reader finds. */
    hs_recorder_flush(r->rec);
    if (final != NULL)
        *final = hs_recorder_get_stats(r->rec);
    int rc = hs_recorder_close(r->rec, why, n);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    free(r);
    return rc;
}

/* ---- a view's recording ---------------------------------------------------------------------- */

bool cli_session_rec_start(cli_session_rec *r, char *why, size_t n)
{
    char name[512], stamp[64];
    const char *path = r->path;
    if (path == NULL || r->used) {
        /* A name of its own, beside the file -r named (if any), never one
         * already there: R pressed twice in a second must not overwrite. */
        int dirlen = 0;
        const char *slash = r->path != NULL ? strrchr(r->path, '/') : NULL;
        if (slash != NULL)
            dirlen = (int)(slash - r->path) + 1;
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "heapscope-%Y%m%d-%H%M%S", &tm);
        char suffix[16] = "";
        for (int k = 2;; k++) {
            snprintf(name, sizeof(name), "%.*s%s%s.hsr", dirlen, dirlen ? r->path : "", stamp, suffix);
            if (access(name, F_OK) != 0 || k > 1000)
                break;
            snprintf(suffix, sizeof(suffix), "-%d", k);
        }
        path = name;
    }
    r->rec = cli_recording_start(path, r->pub, r->fps, why, n);
    if (r->rec == NULL)
        return false;
    r->used = true;
    snprintf(why, n, "recording to %s", path);
    return true;
}

int cli_session_rec_stop(cli_session_rec *r, char *why, size_t n)
{
    hs_recorder_stats st;
    char err[200], path[sizeof(r->recorded) - 64];
    snprintf(path, sizeof(path), "%.*s", (int)sizeof(path) - 1, cli_recording_path(r->rec));
    int rc = cli_recording_stop(r->rec, &st, err, sizeof(err));
    r->rec = NULL;
    snprintf(r->recorded, sizeof(r->recorded),
             "recorded %" PRIu64 " frame%s to %s (%.1f MB, %" PRIu64 " dropped)", st.frames_written,
             st.frames_written == 1 ? "" : "s", path, (double)st.bytes_written / 1e6,
             st.frames_dropped);
    snprintf(why, n, "%s", rc == 0 ? r->recorded : err);
    return rc;
}

bool cli_session_rec_key(void *ctx, bool on, char *why, size_t n)
{
    cli_session_rec *r = ctx;
    if (on == (r->rec != NULL))
        return true;
    if (on)
        return cli_session_rec_start(r, why, n);
    return cli_session_rec_stop(r, why, n) == 0;
}

void cli_session_rec_marker(void *ctx, const char *caption)
{
    cli_session_rec *r = ctx;
    if (r->rec != NULL)
        cli_recording_marker(r->rec, caption);
}

bool cli_session_rec_status(void *ctx, char *status, size_t n)
{
    cli_session_rec *r = ctx;
    if (r->rec == NULL)
        return false;
    hs_recorder_stats st = cli_recording_stats(r->rec);
    if (st.failed)
        snprintf(status, n, "REC stopped: %s", st.error);
    else
        snprintf(status, n, "REC %s %.1f MB, %" PRIu64 " frames%s", cli_recording_path(r->rec),
                 (double)st.bytes_written / 1e6, st.frames_written,
                 st.frames_dropped ? " (some dropped)" : "");
    return true;
}
