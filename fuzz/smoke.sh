#!/bin/sh
# One smoke run of a libFuzzer fuzzer: a fixed seed and a fixed number of inputs, from a fresh
# working corpus and the seed and regression folders given. A finding fails the test and is
# written to FINDINGS/; docs/fuzzing.md says how to turn it into a regression input.
#   smoke.sh FUZZER WORK FINDINGS RUNS CORPUS...
set -u
fuzzer=$1 work=$2 findings=$3 runs=$4
shift 4
rm -rf "$work"
mkdir -p "$work" "$findings"
"$fuzzer" -seed=1 -runs="$runs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$findings/" "$work" "$@"
status=$?
if [ "$status" -ne 0 ]; then
    echo "smoke: $(basename "$fuzzer") found a problem (status $status); the input is in $findings/"
    echo "smoke: reproduce with: $fuzzer FILE; keep it with: cp FILE fuzz/regressions/$(basename "$fuzzer" | sed 's/^fuzz_//')/"
fi
exit "$status"
