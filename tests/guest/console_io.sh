#!/bin/sh
# Runs guest/tests/files/console_io.c with its standard input made a pipe, a file or a
# terminal, and checks that it passed and echoed what it was given.
#   console_io.sh NTOY IMAGE pipe|file|tty
# The terminal case needs util-linux's script(1) for a pseudo-terminal; without it the test
# is skipped (exit 77).
set -u
ntoy=$1 image=$2 kind=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
case $kind in
pipe)
    { printf 'line one\nline two\n' | "$ntoy" run "$image" pipe; echo $? >"$dir/status"; } |
        cat >"$dir/out"
    ;;
file)
    printf 'line one\nline two\n' >"$dir/in"
    { "$ntoy" run "$image" file <"$dir/in"; echo $? >"$dir/status"; } | cat >"$dir/out"
    ;;
tty)
    command -v script >/dev/null 2>&1 || exit 77
    printf 'typed\n' | script -qec "\"$ntoy\" run \"$image\" tty" /dev/null >"$dir/out"
    echo $? >"$dir/status"
    ;;
*)
    echo "usage: console_io.sh NTOY IMAGE pipe|file|tty" >&2
    exit 2
    ;;
esac
tr -d '\r' <"$dir/out" >"$dir/text"
fail=0
[ "$(cat "$dir/status")" = 0 ] || { echo "exit status $(cat "$dir/status"), want 0"; fail=1; }
grep -q '^[0-9]* passed, 0 failed$' "$dir/text" || { echo "not every check passed"; fail=1; }
if [ "$kind" = tty ]; then
    grep -q '^\[typed$' "$dir/text" || { echo "ReadConsoleA did not echo the line"; fail=1; }
    grep -q "^wide: grüß ✓ 😀$" "$dir/text" || { echo "WriteConsoleW's UTF-8 is wrong"; fail=1; }
else
    grep -q '^\[line one$' "$dir/text" && grep -q '^line two$' "$dir/text" &&
        grep -q '^]$' "$dir/text" || { echo "stdin was not read whole"; fail=1; }
fi
[ $fail = 0 ] || { echo "--- output"; cat "$dir/text"; }
exit $fail
