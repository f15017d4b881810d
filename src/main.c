/*
 * main.c — heapscope's entry point: read the options, then run the mode they
 * ask for.
 *
 * The run modes (live view, headless, replay and export, attach) are not in
 * this build, so a good command line ends with one sentence saying so and
 * exit status 2.  Exit status as in DESIGN.md: 0 ok, 1 runtime failure, 2 bad
 * usage or bad input file.
 */
#include <config.h>

#include "heapscope/cli.h"

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
    fprintf(stderr,
            "heapscope: this build checks the options but cannot %s yet; "
            "'heapscope --help' lists them.\n",
            hs_run_mode_phrase(hs_options_mode(&opts)));
    return 2;
}
