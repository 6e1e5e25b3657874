#!/bin/sh
# Counts the instructions of one in-process `add-secrets` run and one
# serde_json baseline run per input, with callgrind, and splits the transform
# by phase. Instruction counts do not depend on what else the machine runs,
# so they cross-check the wall-clock medians of `cargo bench` on a busy host.
#
# Usage: sh benches/callgrind.sh [OUT_DIR]   (default: target/callgrind)
# Needs valgrind (callgrind_annotate comes with it).
#
# The bench binary runs in criterion's test mode, which calls each routine
# once, and --toggle-collect counts only the time inside the out-of-line
# routines add_secrets_in_process and serde_json_baseline. Callgrind's call
# counts still include calls made outside them, so only costs are read here.
set -eu

out=${1:-target/callgrind}
mkdir -p "$out"

if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is not installed: apt-get install valgrind" >&2
    exit 1
fi

bench=$(cargo bench --bench transform --no-run 2>&1 |
    sed -n 's/.*Executable benches\/transform.rs (\(.*\))$/\1/p')
if [ -z "$bench" ]; then
    echo "cannot find the transform bench binary in cargo's output" >&2
    exit 1
fi

# Prints the instructions counted inside routine $2 for input $1.
count() {
    file="$out/$1.$2.out"
    valgrind --tool=callgrind --callgrind-out-file="$file" \
        --toggle-collect="*$2*" "$bench" "transform/$1/" >/dev/null 2>"$out/$1.$2.log"
    sed -n 's/^summary: //p' "$file"
}

# Prints the inclusive instructions of the first (outermost) symbol that
# matches $2 in callgrind file $1.
inclusive() {
    callgrind_annotate --inclusive=yes "$1" 2>/dev/null |
        awk -v symbol="$2" 'index($0, symbol) { gsub(",", "", $1); print $1; found = 1; exit }
            END { if (!found) print 0 }'
}

# Prints the instructions spent in format! calls that the null-removal walk
# makes, which builds a path string for every member and array element.
null_path_formatting() {
    callgrind_annotate --inclusive=yes --tree=caller "$1" 2>/dev/null |
        awk '/^ *$/ { caller = 0 }
             /< .*register_input::remove_nulls/ { gsub(",", "", $1); caller += $1 }
             /\* .*alloc::fmt::format::format_inner / { print caller + 0; exit }'
}

for input in staging generated-64k-compact generated-64k-aws-cli; do
    transform=$(count "$input" add_secrets_in_process)
    baseline=$(count "$input" serde_json_baseline)
    file="$out/$input.add_secrets_in_process.out"
    awk -v input="$input" -v t="$transform" -v b="$baseline" \
        -v parse="$(inclusive "$file" 'document::parse_document ')" \
        -v convert="$(inclusive "$file" 'register_input::to_register_input ')" \
        -v paths="$(null_path_formatting "$file")" \
        -v add="$(inclusive "$file" 'secrets::add_secrets ')" \
        -v validate="$(inclusive "$file" 'validate::validate ')" \
        -v size="$(inclusive "$file" 'serde_json::ser::to_vec ')" \
        -v pretty="$(inclusive "$file" 'Transformed::to_json ')" \
        -v drop="$(inclusive "$file" 'drop_in_place<bcos_taskdef::taskdef::transform::Transformed>')" \
        'function share(n) { return sprintf("%.1f%%", 100 * n / t) }
        BEGIN {
            printf "%s: add-secrets %d instructions, serde-json-baseline %d, ratio %.3f\n", input, t, b, t / b
            printf "  parse %s, convert %s (format! of null paths %s), add secrets %s,\n", share(parse), share(convert), share(paths), share(add)
            printf "  validate %s (compact size check %s), pretty JSON %s, drop %s\n", share(validate), share(size), share(pretty), share(drop)
        }'
done
