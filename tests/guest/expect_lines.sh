#!/bin/sh
# Runs a command and checks its exit status and that its stderr has a line matching each
# regex (grep -E), in any order.
#   expect_lines.sh STATUS 'STDERR-REGEX'... -- COMMAND [ARGS...]
status=$1
shift
err=$(mktemp) patterns=$(mktemp)
trap 'rm -f "$err" "$patterns"' EXIT
while [ $# -gt 0 ] && [ "$1" != -- ]; do
    printf '%s\n' "$1" >>"$patterns"
    shift
done
shift
"$@" >/dev/null 2>"$err" </dev/null
got=$?
fail=0
if [ "$got" != "$status" ]; then echo "exit status $got, want $status"; fail=1; fi
while IFS= read -r re; do
    if ! grep -Eq -- "$re" "$err"; then echo "stderr has no line matching /$re/"; fail=1; fi
done <"$patterns"
if [ $fail != 0 ]; then echo "--- stderr"; cat "$err"; fi
exit $fail
