#!/bin/sh
# Writes the reference manual (HTML and man(3) pages) from the public headers
# into OUT_DIR with Doxygen; fails on any undocumented public name.
#   docs/build.sh OUT_DIR   (scripts/docs and the DAL_BUILD_DOCS build call it)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$1
version=$(sed -n 's/^#define DAL_VERSION_STRING "\(.*\)"/\1/p' "$root/include/dal/version.h")
rm -rf "$out"
mkdir -p "$out"
(cd "$root/docs" && DAL_VERSION=$version DAL_DOCS_OUT=$out doxygen Doxyfile)
# Keep the pages of dal's own names (and the headers' pages they link to);
# doxygen also writes one per struct member ("code.3"), which would clash.
find "$out/man/man3" -type f ! -name 'dal*' ! -name 'DAL*' ! -name '*.h.3' -delete
mkdir -p "$out/man/man1"
cp "$root/docs/dal.1" "$out/man/man1/"
# Debian installs man pages compressed (policy 12.1): DAL_MAN_GZIP=1.
if [ "${DAL_MAN_GZIP:-0}" = 1 ]; then
    find "$out/man" -type f -name '*.[13]' -exec gzip -n -9 {} +
fi
