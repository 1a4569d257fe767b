#!/bin/sh
# Every RAM size the help names (the --ram option's "e.g." and the examples) must run on this
# host: a guest starts and ends normally with each.
#   help_ram_sizes.sh NTOY IMAGE
ntoy=$1 image=$2
help=$("$ntoy" --help; "$ntoy" run --help; "$ntoy" debug --help)
sizes=$(printf '%s\n' "$help" | grep -Eo -- '(--ram [0-9]+[KMG]|e\.g\. [0-9]+[KMG] or [0-9]+[KMG])' |
        grep -Eo '[0-9]+[KMG]' | sort -u)
[ -n "$sizes" ] || { echo "the help names no RAM size"; exit 1; }
fail=0
for size in $sizes; do
    if out=$("$ntoy" run --ram "$size" "$image" 2>&1); then
        echo "--ram $size: ok"
    else
        echo "--ram $size: exit status $?: $out"
        fail=1
    fi
done
exit $fail
