#!/bin/bash
# The shipped shared library exports exactly the functions the public
# headers declare with DAL_EXPORT: no internal dal__ symbol, no test hook,
# nothing missing.   check_exports.sh LIBDAL_SO INCLUDE_DIR
set -euo pipefail
lib=$1
include=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TWi]$/ {print $3}' | sort -u)
# the name before the first '(' of each DAL_EXPORT line
declared=$(grep -rh "DAL_EXPORT" "$include" | sed -nE 's/^[^(]*[^a-z0-9_](dal_[a-z0-9_]+) *\(.*/\1/p' | sort -u)
extra=$(comm -23 <(echo "$exported") <(echo "$declared"))
missing=$(comm -13 <(echo "$exported") <(echo "$declared"))
status=0
[ -z "$extra" ] || { echo "exported but not declared in $include:"; echo "$extra"; status=1; }
[ -z "$missing" ] || { echo "declared but not exported:"; echo "$missing"; status=1; }
[ $status -eq 0 ] && echo "exports: $(echo "$exported" | wc -l) functions, all declared in the public headers"
exit $status
