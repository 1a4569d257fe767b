#!/bin/sh
# Runs a guest under ntoy and checks its exit status and what it printed.
#   expect.sh STATUS 'STDOUT-REGEX' 'STDERR-REGEX' -- ntoy run [...] IMAGE [ARGS...]
# A regex of "-" is not checked. The guest's standard input is empty (/dev/null): no test
# waits for a terminal.
status=$1 out_re=$2 err_re=$3
shift 4
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err" </dev/null
got=$?
fail=0
if [ "$got" != "$status" ]; then echo "exit status $got, want $status"; fail=1; fi
if [ "$out_re" != - ] && ! grep -Eq -- "$out_re" "$out"; then echo "stdout does not match /$out_re/"; fail=1; fi
if [ "$err_re" != - ] && ! grep -Eq -- "$err_re" "$err"; then echo "stderr does not match /$err_re/"; fail=1; fi
if [ $fail != 0 ]; then echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; fi
exit $fail
