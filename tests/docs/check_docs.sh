#!/bin/bash
# Every public function has its own reference documentation: the lines just
# above each DAL_EXPORT declaration (and each static inline constructor) in
# the public headers are a /** ... */ comment.   check_docs.sh INCLUDE_DIR
set -euo pipefail
status=0
for h in $(find "$1" -name '*.h' | sort); do
    out=$(awk -v file="$h" '
        /^(DAL_EXPORT|static inline)/ {
            name = $0; sub(/\(.*/, "", name); sub(/.* \**/, "", name)
            if (!(prev ~ /\*\/[ \t]*$/ && in_doc)) printf "%s: %s has no /** */ comment above it\n", file, name
        }
        /^\/\*\*/ { in_doc = 1 }
        /^\/\*[^*]/ || /^\/\*$/ { in_doc = 0 }
        /^[^ \/*]/ && !/^(DAL_EXPORT|static inline)/ { in_doc = 0 }
        /^}/ { in_doc = 0 }
        NF { prev = $0 }
        /^(DAL_EXPORT|static inline)/ { in_doc = 0 }
    ' "$h")
    if [ -n "$out" ]; then echo "$out"; status=1; fi
done
[ $status -eq 0 ] && echo "docs: every public function in $1 has its /** */ comment"
exit $status
