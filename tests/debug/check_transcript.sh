#!/bin/sh
# Runs a command and checks its exit status and its stdout against a file of patterns.
#   check_transcript.sh STATUS PATTERNS -- COMMAND [ARGS...]
# PATTERNS holds groups of extended regular expressions separated by blank lines ('#' lines
# are comments). The groups must match in order; inside a group, each pattern must match the
# line right after the previous pattern's line, so that a group checks a block of output.
status=$1 patterns=$2
shift 3
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
"$@" >"$out" 2>"$err"
got=$?
fail=0
if [ "$got" != "$status" ]; then echo "exit status $got, want $status"; fail=1; fi
awk '
    BEGIN { groups = 0 }
    NR == FNR {
        if ($0 ~ /^#/) next
        if ($0 == "") { if (count[groups] > 0) groups++; next }
        pattern[groups, count[groups]++] = $0
        next
    }
    { line[++lines] = $0 }
    END {
        if (count[groups] > 0) groups++
        at = 1
        for (g = 0; g < groups; g++) {
            found = 0
            for (p = at; p + count[g] - 1 <= lines && !found; p++) {
                ok = 1
                for (k = 0; k < count[g] && ok; k++)
                    if (line[p + k] !~ pattern[g, k]) ok = 0
                if (ok) { found = 1; at = p + count[g] }
            }
            if (!found) {
                print "stdout has no block matching group " g + 1 " (after line " at - 1 "):"
                for (k = 0; k < count[g]; k++) print "    " pattern[g, k]
                exit 1
            }
        }
    }' "$patterns" "$out" || fail=1
if [ $fail != 0 ]; then echo "--- stdout"; cat "$out"; echo "--- stderr"; cat "$err"; fi
exit $fail
