#!/bin/sh
# Prints the medians of the last `cargo bench --bench transform` and each
# ratio against its target, read from criterion's estimates.json files.
# Criterion's console lines show the mean (flat sampling) or the slope, not
# the median that docs/benchmarks.md reports, hence this script.
#
# Usage: sh benches/ratios.sh [CRITERION_DIR]   (default: target/criterion)
# Needs jq.
set -eu

dir=${1:-target/criterion}

# Prints the median of one benchmark in nanoseconds, for example
# `median transform staging_add-secrets`.
median() {
    file="$dir/$1/$2/new/estimates.json"
    if [ ! -f "$file" ]; then
        echo "missing $file: run cargo bench --bench transform first" >&2
        exit 1
    fi
    jq '.median.point_estimate' "$file"
}

# Prints one comparison: the two medians, their ratio, and the target verdict.
# A target of 2 means at most 2x, and 0.1 means at most a tenth.
compare() {
    group=$1 input=$2 measured=$3 baseline=$4 target=$5
    a=$(median "$group" "${input}_$measured")
    b=$(median "$group" "${input}_$baseline")
    awk -v g="$group" -v i="$input" -v m="$measured" -v bl="$baseline" \
        -v a="$a" -v b="$b" -v t="$target" 'BEGIN {
        r = a / b
        printf "%s/%s: %s %.1f us, %s %.1f us, ratio %.3f (target <= %s): %s\n",
            g, i, m, a / 1000, bl, b / 1000, r, t, (r <= t ? "met" : "MISSED")
    }'
}

for input in staging generated-64k-compact generated-64k-aws-cli; do
    compare transform "$input" add-secrets serde-json-baseline 2
done
for input in staging generated-64k-aws-cli; do
    if [ -f "$dir/process/${input}_jq-pipeline/new/estimates.json" ]; then
        compare process "$input" bcos-taskdef jq-pipeline 0.1
    else
        echo "process/$input: no jq-pipeline result (jq was not installed)"
    fi
done
