#!/bin/bash
# Speaks the remote protocol to `ntoy run --gdb` directly (bash's /dev/tcp), for what gdb's
# batch mode cannot show: acknowledgements and a bad checksum, an unknown packet, a Ctrl-C
# that interrupts a running guest, and a client that hangs up while the guest runs.
#   raw_protocol.sh NTOY IMAGE
set -u
ntoy=$1 image=$2

work=$(mktemp -d)
server=""
cleanup() {
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
    echo "--- ntoy stderr"
    cat "$work/ntoy.err"
    exit 1
}

timeout -k 5 60 "$ntoy" run --gdb 127.0.0.1:0 "$image" >"$work/ntoy.out" 2>"$work/ntoy.err" &
server=$!
port=""
for _ in $(seq 100); do
    port=$(sed -n 's/^ntoy: listening for gdb on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$work/ntoy.err")
    [ -n "$port" ] && break
    kill -0 "$server" 2>/dev/null || fail "ntoy ended before it listened"
    sleep 0.1
done
[ -n "$port" ] || fail "ntoy never said where it listens"
exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect"

send() {
    local payload=$1 sum=0 i c
    for ((i = 0; i < ${#payload}; i++)); do
        printf -v c '%d' "'${payload:i:1}"
        sum=$(((sum + c) % 256))
    done
    printf '$%s#%02x' "$payload" "$sum" >&3
}
# One character from the stub, or fail after 10 seconds.
char() {
    IFS= read -r -N1 -t 10 -u 3 "$1" || fail "no answer from the stub"
}
# The payload of the stub's next packet (acknowledgements before it are skipped).
reply() {
    local ch body=""
    while char ch && [ "$ch" != '$' ]; do :; done
    while char ch && [ "$ch" != '#' ]; do body+=$ch; done
    char ch
    char ch
    REPLY=$body
}
expect_char() {
    local ch
    char ch
    [ "$ch" = "$1" ] || fail "got '$ch', want '$1'"
}

# Ack mode: the stub acknowledges each packet and asks again for a corrupt one.
send '?'
expect_char +
reply
[[ $REPLY == T05*thread:3ec\;* ]] || fail "initial stop reply '$REPLY'"
# The thread's first instruction, from the expedited RIP (register 0x10, little-endian).
rip_le=$(sed -n 's/.*10:\([0-9a-f]\{16\}\);.*/\1/p' <<<"$REPLY")
rip=""
for ((i = 14; i >= 0; i -= 2)); do rip+=${rip_le:i:2}; done
printf '$g#00' >&3
expect_char -
send QStartNoAckMode
expect_char +
reply
[ "$REPLY" = OK ] || fail "QStartNoAckMode: '$REPLY'"
printf + >&3

send qNtoyNoSuchPacket
reply
[ -z "$REPLY" ] || fail "unknown packet answered '$REPLY'"

# The process's one thread, by its client id (1004): listed, current, alive, selectable.
for exchange in "qfThreadInfo m3ec" "qsThreadInfo l" "qC QC3ec" "T3ec OK" "T3f0 E01" \
    "Hg3ec OK" "Hg0 OK" "Hc-1 OK" "Hg3f0 E01" "qThreadExtraInfo,3f0 E01"; do
    send "${exchange% *}"
    reply
    [ "$REPLY" = "${exchange#* }" ] || fail "${exchange% *}: '$REPLY', want '${exchange#* }'"
done
# Its state, hex-encoded: "Ready" before it first runs.
send qThreadExtraInfo,3ec
reply
[ "$REPLY" = 5265616479 ] || fail "qThreadExtraInfo: '$REPLY'"

# Make the guest spin (jmp $) where it stands, run it, and interrupt it.
send "M${rip},2:ebfe"
reply
[ "$REPLY" = OK ] || fail "M: '$REPLY'"
send 'vCont;c'
sleep 0.5
printf '\003' >&3
reply
[[ $REPLY == T02*10:${rip_le}\;* ]] || fail "Ctrl-C stop reply '$REPLY'"

# Hang up while it runs: the stub says so and ends the guest.
send c
sleep 0.5
exec 3>&-
for _ in $(seq 100); do
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$server" 2>/dev/null && fail "ntoy still runs after the client hung up"
wait "$server"
status=$?
server=""
[ "$status" = 132 ] || fail "exit status $status, want 132 (killed: 128 + DBG_TERMINATE_PROCESS 0x40010004 & 0x7F)"
grep -q "^ntoy: gdb disconnected without detaching; ending the guest$" "$work/ntoy.err" ||
    fail "no disconnect message"
exit 0
