#!/usr/bin/env bash
# test_replay.sh — recordings from the command line: --record in headless
# mode; --replay with --screenshot (every format, --at as time and frame,
# --view) and --export-cast (a valid asciicast v2 file with GC phase markers,
# which asciinema plays); a recording cut in half still exports; bad files,
# bad --at values and bad paths get one sentence and exit status 2.
set -u
. "$(dirname "$0")/cliutil.sh" test_replay
# expect_bad OPTION ARGS...: exit 2 and one "heapscope: OPTION: ..." line.
expect_bad() {
    local opt=$1
    shift
    run "$@"
    [ "$rc" = 2 ] || fail "heapscope $*: exit $rc, want 2"
    grep -q "^heapscope: $opt: " "$tmp/err" || fail "heapscope $*: no sentence for $opt: $(cat "$tmp/err")"
}

rec="$tmp/web.hsr"
run --headless --procs 1 --duration 2s --seed 3 --record "$rec"
[ "$rc" = 0 ] || fail "--record: exit $rc: $(cat "$tmp/err")"
grep -q "^heapscope: recorded [0-9]* frames to $rec" "$tmp/err" || fail "--record: no report: $(cat "$tmp/err")"
frames=$(sed -n 's/^heapscope: recorded \([0-9]*\) frames.*/\1/p' "$tmp/err")
[ "${frames:-0}" -ge 20 ] || fail "--record: only ${frames:-0} frames in 2 s at 30 fps"
# The count printed is the count the reader finds in the file (the last
# frame, recorded as the run ends, included).  --at counts frames from 1, as
# the status line does: frame $frames is the last, and is "frame N of N".
run --replay "$rec" --screenshot "$tmp/x.txt" --at 99999999
found=$(sed -n 's/.*past the end of the recording (frames 1 to \([0-9]*\),.*/\1/p' "$tmp/err")
[ "$found" = "$frames" ] || fail "--record said $frames frames, the reader finds ${found:-none}: $(cat "$tmp/err")"
run --replay "$rec" --screenshot "$tmp/x.txt" --at "$frames"
[ "$rc" = 0 ] || fail "--at $frames, the last frame: exit $rc: $(cat "$tmp/err")"
grep -q "frame $frames of $frames " "$tmp/x.txt" ||
    fail "--at $frames is not the last frame: $(tail -n 1 "$tmp/x.txt")"
expect_bad --at --replay "$rec" --screenshot "$tmp/x.txt" --at $((frames + 1))
run --replay "$rec" --screenshot "$tmp/x.txt" --at 1
grep -q "frame 1 of $frames " "$tmp/x.txt" || fail "--at 1 is not frame 1: $(tail -n 1 "$tmp/x.txt")"
expect_bad --at --replay "$rec" --screenshot "$tmp/x.txt" --at 0
grep -q "count from 1" "$tmp/err" || fail "--at 0: the sentence does not say frames count from 1: $(cat "$tmp/err")"
# No --at: the first frame.  Its status line shows the length, rounded to
# the hundredth; that length as --at is the last frame, a hundredth more is
# past the end.
run --replay "$rec" --screenshot "$tmp/x.txt"
grep -q "frame 1 of $frames " "$tmp/x.txt" || fail "no --at is not frame 1: $(tail -n 1 "$tmp/x.txt")"
len=$(sed -n 's/.* \/ \([0-9]*\.[0-9][0-9]\) s .*/\1/p' "$tmp/x.txt")
[ -n "$len" ] || fail "no length on the status line: $(tail -n 1 "$tmp/x.txt")"
run --replay "$rec" --screenshot "$tmp/x.txt" --at "${len}s"
[ "$rc" = 0 ] || fail "--at ${len}s, the length shown: exit $rc: $(cat "$tmp/err")"
grep -q "frame $frames of $frames " "$tmp/x.txt" ||
    fail "--at ${len}s is not the last frame: $(tail -n 1 "$tmp/x.txt")"
expect_bad --at --replay "$rec" --screenshot "$tmp/x.txt" --at "$(awk -v l="$len" 'BEGIN { printf "%.2f", l + 0.01 }')s"

# Good input but no terminal: --replay says it needs one.
run --replay "$rec"
[ "$rc" = 2 ] || fail "--replay with no terminal: exit $rc, want 2"
grep -q "standard output is not one" "$tmp/err" || fail "--replay with no terminal: $(cat "$tmp/err")"

# Screenshots in every format, by time and by frame, of two views.
for ext in txt ansi svg html; do
    run --replay "$rec" --screenshot "$tmp/shot.$ext" --at 1s
    [ "$rc" = 0 ] && [ -s "$tmp/shot.$ext" ] || fail "--screenshot .$ext: exit $rc: $(cat "$tmp/err")"
done
grep -q "heapscope │ GC" "$tmp/shot.txt" || fail "the .txt screenshot has no GC bar"
[ "$(wc -l <"$tmp/shot.txt")" = 48 ] || fail "the .txt screenshot is not 48 lines"
# Text keeps no color: the map is drawn in the glyphs that carry each state
# without it (# a span of small objects), never in colored half blocks.
grep -q "▀\|▄" "$tmp/shot.txt" && fail "the .txt screenshot's map is colored half blocks: $(sed -n 4p "$tmp/shot.txt")"
grep -Eq "^[0-9a-f]{10,}  .*#" "$tmp/shot.txt" || fail "the .txt screenshot's map has no span glyphs: $(sed -n 4p "$tmp/shot.txt")"
# A replayed frame says so, and where in the recording it is: never LIVE.
grep -q "REPLAY ❚❚ x1  frame [0-9]* of [0-9]*  1.0[0-9] s / " "$tmp/shot.txt" ||
    fail "the screenshot's status line does not say REPLAY: $(tail -n 1 "$tmp/shot.txt")"
grep -q "LIVE" "$tmp/shot.txt" && fail "a screenshot of a recording says LIVE"
grep -q $'\033\\[0;1;38;5;75mheapscope' "$tmp/shot.ansi" || fail "the .ansi screenshot has no colors"
head -c 5 "$tmp/shot.svg" | grep -q '<svg' || fail "the .svg screenshot is not SVG"
grep -q '<!DOCTYPE html>' "$tmp/shot.html" || fail "the .html screenshot is not HTML"
run --replay "$rec" --screenshot "$tmp/c.txt" --at 10 --view central --size 100x30
[ "$rc" = 0 ] || fail "--at 10 --view central: exit $rc: $(cat "$tmp/err")"
grep -q "partial spans" "$tmp/c.txt" || fail "--view central did not draw the central view"
[ "$(wc -l <"$tmp/c.txt")" = 30 ] || fail "--size 100x30 did not make 30 lines"

# A cast of the whole recording.
cast="$tmp/web.cast"
run --replay "$rec" --export-cast "$cast" --size 120x40
[ "$rc" = 0 ] || fail "--export-cast: exit $rc: $(cat "$tmp/err")"
head -n 1 "$cast" | grep -q '^{"version": 2, "width": 120, "height": 40, "timestamp": [0-9]*, "title": ' ||
    fail "--export-cast: bad header: $(head -n 1 "$cast")"
grep -q '^\[[0-9.]*, "m", "GC [0-9]*: mark"\]$' "$cast" || fail "--export-cast: no GC phase markers"
[ "$(grep -c '"o"' "$cast")" -ge 10 ] || fail "--export-cast: too few output events"
grep -q "REPLAY ▶ x1  frame 1 of [0-9]*" "$cast" || fail "--export-cast: the first frame does not say REPLAY"
grep -q "LIVE" "$cast" && fail "--export-cast: a frame says LIVE"
if command -v asciinema >/dev/null && command -v script >/dev/null; then
    # asciinema opens /dev/tty: give it one.
    script -qec "asciinema cat $cast" /dev/null >"$tmp/played" 2>&1 || fail "asciinema cat refused the cast"
    grep -q "heapscope" "$tmp/played" || fail "asciinema cat played nothing"
else
    echo "test_replay: asciinema not installed: the cast is not played"
fi

# A recording cut in half: its complete frames still export.
size=$(stat -c %s "$rec")
head -c $((size / 2)) "$rec" >"$tmp/half.hsr"
run --replay "$tmp/half.hsr" --screenshot "$tmp/half.txt"
[ "$rc" = 0 ] || fail "a cut-off recording: exit $rc: $(cat "$tmp/err")"
grep -q "^heapscope: note: the recording .* was cut off" "$tmp/err" ||
    fail "--screenshot of a cut-off recording: no note on stderr: $(cat "$tmp/err")"
run --replay "$tmp/half.hsr" --export-cast "$tmp/half.cast"
[ "$rc" = 0 ] || fail "a cut-off recording's cast: exit $rc: $(cat "$tmp/err")"
grep -q "^heapscope: note: the recording .* was cut off" "$tmp/err" ||
    fail "--export-cast of a cut-off recording: no note on stderr: $(cat "$tmp/err")"
run --replay "$rec" --screenshot "$tmp/x.txt"
[ -s "$tmp/err" ] && fail "a whole recording: something on stderr: $(cat "$tmp/err")"

# A byte flipped inside a frame's compressed data: the export names the frame
# (counted from 1, as the status line and --at count) and leaves no half a cast.
corrupt=0
for pct in 30 40 50 60 70; do
    cp "$rec" "$tmp/flip.hsr"
    off=$((size * pct / 100))
    byte=$(od -An -tu1 -j "$off" -N1 "$tmp/flip.hsr" | tr -d ' ')
    printf "$(printf '\\%03o' $((byte ^ 255)))" | dd of="$tmp/flip.hsr" bs=1 seek="$off" conv=notrunc 2>/dev/null
    rm -f "$tmp/flip.cast"
    run --replay "$tmp/flip.hsr" --export-cast "$tmp/flip.cast"
    if [ "$rc" = 2 ]; then
        corrupt=$((corrupt + 1))
        grep -q "frame [1-9][0-9]* of $tmp/flip.hsr is corrupt" "$tmp/err" ||
            fail "a damaged frame: the sentence does not name it: $(cat "$tmp/err")"
        [ -e "$tmp/flip.cast" ] && fail "a damaged frame: a partial cast was left behind"
    else
        [ "$rc" = 0 ] || fail "a damaged recording's cast: exit $rc: $(cat "$tmp/err")"
    fi
done
[ "$corrupt" -gt 0 ] || fail "no flipped byte hit a frame's data (5 tries)"

# Bad input.
printf 'not a recording at all\n' >"$tmp/junk.hsr"
expect_bad --replay --replay "$tmp/junk.hsr" --screenshot "$tmp/x.txt"
grep -q "junk.hsr" "$tmp/err" || fail "a junk recording: the sentence does not name the file"
expect_bad --replay --replay "$tmp/none.hsr" --screenshot "$tmp/x.txt"
expect_bad --at --replay "$rec" --screenshot "$tmp/x.txt" --at 1h
expect_bad --at --replay "$rec" --screenshot "$tmp/x.txt" --at 99999999
expect_bad --screenshot --replay "$rec" --screenshot "$tmp/x.png"
expect_bad --screenshot --replay "$rec" --screenshot "$tmp/nodir/x.txt"
expect_bad --record --headless --duration 1s --record "$tmp/nodir/x.hsr"

[ "$failures" -eq 0 ] && echo "ok: record, replay, screenshots and casts from the command line"
exit $((failures > 0))
