/*
 * main.c — heapscope's entry point: read the options, then run the mode they
 * ask for.
 *
 * `--workload help` lists the workloads; --headless runs the session
 * (src/cli/session.c); with no mode option the live view opens (src/cli/live.c);
 * --replay opens a recording, or exports it
 * (src/cli/replay.c); --attach reads a running Go program
 * (src/cli/attach_session.c).  A mode that needs a terminal checks for one
 * only after its inputs (the workload spec, the recording, the program), so
 * the first error reported is the mistake in them.  Exit status as in DESIGN.md: 0 ok, 1 runtime
 * failure, 2 bad usage or bad input file.
 */
#include <config.h>

#include "heapscope/cli.h"
#include "heapscope/workload.h"

#include <stdio.h>
#include <stdlib.h>

/* --help and --version went to stdout: say so if they could not be written. */
static int finish_stdout(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return EXIT_SUCCESS;
    fputs("heapscope: could not write to standard output\n", stderr);
    return EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    hs_options opts;
    switch (hs_options_parse(argc, argv, &opts, stderr)) {
    case HS_OPTIONS_RUN:
        break;
    case HS_OPTIONS_DONE:
        return finish_stdout();
    default:
        return 2;
    }
    if (hs_workload_is_help(opts.workload)) {
        hs_workload_help(stdout);
        return finish_stdout();
    }
    hs_run_mode mode = hs_options_mode(&opts);
    if (mode == HS_MODE_HEADLESS)
        return hs_session_run(&opts, stdout, stderr);
    if (mode == HS_MODE_ATTACH)
        return hs_attach_run(&opts, stdout, stderr);
    if (mode == HS_MODE_LIVE)
        return hs_live_run(&opts, stderr);
    if (mode == HS_MODE_EXPORT || mode == HS_MODE_REPLAY)
        return hs_replay_run(&opts, stderr);
    fprintf(stderr,
            "heapscope: this build checks the options but cannot %s yet; "
            "'heapscope --help' lists them.\n",
            hs_run_mode_phrase(mode));
    return 2;
}
