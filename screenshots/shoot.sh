# shoot.sh — sourced by take.sh and attach.sh: shoot NAME KEYS... types KEYS
# into the tmux session hs (a moment after each), waits a second and saves
# the screen as $out/$prefix NAME .ansi (with colors, when $color is 1) or
# .txt.  Needs tm (tmux on the scripts' own socket), out, prefix and color.
shoot() {
    local name=$prefix$1
    shift
    for k in "$@"; do
        tm send-keys -t hs "$k"
        sleep 0.3
    done
    sleep 1
    if [ "$color" = 1 ]; then
        tm capture-pane -p -e -t hs >"$out/$name.ansi"
    else
        tm capture-pane -p -t hs >"$out/$name.txt"
    fi
}
