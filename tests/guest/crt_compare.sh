#!/bin/sh
# Runs a default-built program (label crt) and compares its stdout, byte for byte, with the
# output Windows' msvcrt.dll gives (tests/guest/expected/crt/, "\r\n" line ends as a text-mode
# stdout writes them), and its exit status.
#   crt_compare.sh STATUS EXPECTED-FILE -- ntoy run IMAGE [ARGS...]
status=$1 expected=$2
shift 3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
got=$?
fail=0
if [ "$got" != "$status" ]; then echo "exit status $got, want $status"; fail=1; fi
if ! cmp -s "$expected" "$out"; then
    echo "stdout differs from $expected:"
    diff -u "$expected" "$out" | cat -A | head -60
    fail=1
fi
if [ $fail != 0 ]; then echo "--- stderr"; cat "$err"; fi
exit $fail
