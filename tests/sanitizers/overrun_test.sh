#!/bin/bash
# Runs overrun_check and requires the checker to catch its write past a row
# array: asan (the program is built with ASan) or valgrind (memcheck).
# The checker's own report goes to a file, not to the stage's log, which
# must stay free of sanitizer errors.
#   overrun_test.sh asan|valgrind PROGRAM
set -uo pipefail
mode=$1
program=$2
out=$(mktemp /tmp/dal-overrun-XXXXXX)
trap 'rm -f "$out"' EXIT
case $mode in
asan)
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=0 "$program" >"$out" 2>&1
    rc=$?
    want='heap-buffer-overflow'
    ;;
valgrind)
    valgrind --quiet --error-exitcode=99 "$program" >"$out" 2>&1
    rc=$?
    want='Invalid write of size 1'
    ;;
*) echo "usage: overrun_test.sh asan|valgrind PROGRAM" >&2; exit 2 ;;
esac
if [ "$rc" -ne 0 ] && grep -q "$want" "$out" && grep -q 'overrun_check.c' "$out"; then
    echo "ok: $mode caught the write one byte past a row array (exit $rc)"
    exit 0
fi
echo "FAILED: $mode did not catch the write past a row array (exit $rc):"
grep -v -E 'ERROR: AddressSanitizer|runtime error:' "$out" | head -20
exit 1
