#!/bin/sh
# SIGINT (kill -INT, no terminal) while a batch session runs the guest: the guest stops with
# "interrupted", the batch goes on with its next command, and ntoy ends normally.
#   sigint_batch.sh NTOY IMAGE [ARGS...]
# The guest (or a process it starts) prints "spinning" once it spins.
ntoy=$1
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'break-on none\nc\nregs\nq\n' >"$work/cmds"
"$ntoy" debug --batch "$work/cmds" "$@" >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 300); do
    grep -q '^spinning$' "$work/out" && break
    sleep 0.1
done
kill -INT "$pid"
for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
    echo "ntoy still runs after SIGINT"; cat "$work/out"; exit 1
fi
wait "$pid"
status=$?
if [ "$status" != 0 ] || ! grep -q '^interrupted$' "$work/out" ||
   ! grep -q '^ntoy> regs$' "$work/out" || ! grep -q '^rip=' "$work/out"; then
    echo "exit status $status"; cat "$work/out"; exit 1
fi
