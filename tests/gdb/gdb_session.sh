#!/bin/bash
# Runs a guest under `ntoy run --gdb 127.0.0.1:0`, drives it with gdb in batch mode from a
# command file, and checks what gdb printed, what ntoy printed and ntoy's exit status.
#   gdb_session.sh GDB NTOY COMMANDS STATUS IMAGE [ARGS...]
# Comment lines in COMMANDS give the expectations, each an extended regex:
#   # gdb: RE       a line of gdb's output matches, after the line the previous one matched
#   # stdout: RE    a line of the guest's output matches
#   # stderr: RE    a line of ntoy's stderr matches
# The commands can use $entry, the image's entry point from its PE header.
set -u
gdb=$1 ntoy=$2 commands=$3 want_status=$4
shift 4
image=$1

work=$(mktemp -d)
server=""
cleanup() {
    # Never leave a stub behind, whatever happened.
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill "$server" 2>/dev/null
        sleep 1
        kill -9 "$server" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in gdb.out ntoy.out ntoy.err; do
        echo "--- $f"
        cat "$work/$f" 2>/dev/null
    done
    exit 1
}

# AddressOfEntryPoint + ImageBase, from the PE32+ optional header.
field() { od -An -t "u$2" -j "$1" -N "$2" "$image" | tr -d ' '; }
pe=$(field 60 4)
entry=$(printf '0x%x' $(($(field $((pe + 48)) 8) + $(field $((pe + 40)) 4))))

# `timeout` ends the stub even if this script is killed before its trap runs.
timeout -k 5 120 "$ntoy" run --gdb 127.0.0.1:0 "$@" >"$work/ntoy.out" 2>"$work/ntoy.err" &
server=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's/^ntoy: listening for gdb on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$work/ntoy.err")
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || fail "ntoy ended before it listened"
    sleep 0.1
done
[ -n "$port" ] || fail "ntoy never said where it listens"

# Each command as its own -ex: gdb goes on after one that fails, as a session would.
args=(-ex "set \$entry = $entry" -ex "set remotetimeout 30" -ex "target remote 127.0.0.1:$port")
while IFS= read -r line; do
    args+=(-ex "$line")
done < <(grep -v -e '^#' -e '^$' "$commands")
timeout -k 5 90 "$gdb" -nx -batch "${args[@]}" >"$work/gdb.out" 2>&1

# gdb has quit, so the stub must end: give it a while, then call it a hang.
for _ in $(seq 300); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$server" 2>/dev/null && fail "ntoy still runs after gdb quit"
wait "$server"
status=$?
server=""
[ "$status" = "$want_status" ] || fail "ntoy exit status $status, want $want_status"

after=0
while IFS= read -r re; do
    n=$(tail -n +$((after + 1)) "$work/gdb.out" | grep -n -E -m1 -- "$re" | cut -d: -f1)
    [ -n "$n" ] || fail "gdb printed no line matching /$re/ after line $after"
    after=$((after + n))
done < <(sed -n 's/^# gdb: //p' "$commands")
while IFS= read -r re; do
    grep -q -E -- "$re" "$work/ntoy.out" || fail "stdout has no line matching /$re/"
done < <(sed -n 's/^# stdout: //p' "$commands")
while IFS= read -r re; do
    grep -q -E -- "$re" "$work/ntoy.err" || fail "stderr has no line matching /$re/"
done < <(sed -n 's/^# stderr: //p' "$commands")
exit 0
