#!/bin/sh
# The Debian packages work as a user gets them: scripts/package builds
# libdal0.1, libdal-dev and dal-tools (lintian-checked); each holds what it
# should; installed with dpkg, a consumer builds against them with
# find_package(dal) and with pkg-config, runs, and the dal command runs.
# The packages are removed afterwards.
#   tests/package/package_test.sh SOURCE_DIR WORK_DIR
set -eu
src=$1
work=$2
packages="libdal0.1 libdal-dev dal-tools"
fail() { echo "package_test: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    as_root=
elif sudo -n true 2>/dev/null; then
    as_root=sudo
else
    fail "installing packages needs root or password-less sudo"
fi
for p in $packages; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q installed; then
        fail "$p is already installed; this test installs and removes it: remove it first (dpkg -r $p)"
    fi
done

"$src/scripts/package" "$work"
version=$(sed -n 's/^#define DAL_VERSION_STRING "\(.*\)"/\1/p' "$src/include/dal/version.h")
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
deb() { echo "$work/${1}_${version}_$arch.deb"; }

# What each package holds, and what it must not.
holds() { # package, path pattern (grep -E on dpkg-deb -c)
    dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | grep -Eq "$2" || fail "$1 lacks $2"
}
lacks() {
    if dpkg-deb -c "$(deb "$1")" | awk '{ print $6 }' | grep -Eq "$2"; then fail "$1 must not hold $2"; fi
}
holds libdal0.1 "^\./usr/lib/$multiarch/libdal\.so\.0\.1\.0$"
holds libdal0.1 "^\./usr/lib/$multiarch/libdal\.so\.0\.1$"
lacks libdal0.1 "\.h$|\.a$|libdal\.so$|/bin/"
holds libdal-dev "^\./usr/include/dal\.h$"
holds libdal-dev "^\./usr/include/dal/session\.h$"
holds libdal-dev "^\./usr/lib/$multiarch/libdal\.a$"
holds libdal-dev "^\./usr/lib/$multiarch/libdal\.so$"
holds libdal-dev "^\./usr/lib/$multiarch/pkgconfig/dal\.pc$"
holds libdal-dev "^\./usr/lib/$multiarch/cmake/dal/dalConfig\.cmake$"
holds libdal-dev "^\./usr/share/man/man3/dal_session_open\.3\.gz$"
lacks libdal-dev "libdal\.so\.0\.1|/bin/"
holds dal-tools "^\./usr/bin/dal$"
holds dal-tools "^\./usr/share/man/man1/dal\.1\.gz$"
lacks dal-tools "/lib/|/include/"

# Their dependencies: the library's own, and the exact library version.
depends() { dpkg-deb -f "$(deb "$1")" Depends; }
for need in "libodbc2" "libjansson4"; do
    depends libdal0.1 | grep -q "$need" || fail "libdal0.1 does not depend on $need: $(depends libdal0.1)"
done
for p in libdal-dev dal-tools; do
    depends "$p" | grep -q "libdal0.1 (= $version)" || fail "$p does not depend on libdal0.1 (= $version): $(depends "$p")"
done
depends libdal-dev | grep -q "libjansson-dev" || fail "libdal-dev does not depend on libjansson-dev"

cleanup() {
    $as_root dpkg -r $packages >"$work/remove.log" 2>&1 || cat "$work/remove.log" >&2
}
trap cleanup EXIT
$as_root dpkg -i "$(deb libdal0.1)" "$(deb libdal-dev)" "$(deb dal-tools)" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "dpkg -i failed"; }

# A consumer built against the installed packages, with no path given.
cmake -S "$src/tests/consumer" -B "$work/consumer-cmake" >"$work/consumer.log" 2>&1 &&
    cmake --build "$work/consumer-cmake" >>"$work/consumer.log" 2>&1 ||
    { cat "$work/consumer.log" >&2; fail "find_package(dal) build failed"; }
# shellcheck disable=SC2046
cc "$src/tests/consumer/main.c" -o "$work/consumer-pc" $(pkg-config --cflags --libs dal) ||
    fail "pkg-config build failed"
for program in "$work/consumer-cmake/consumer" "$work/consumer-pc"; do
    ldd "$program" | grep -Eq "libdal\.so\.0\.1 => (/usr)?/lib/$multiarch/libdal\.so\.0\.1 " ||
        fail "$program does not use the packaged library: $(ldd "$program" | grep libdal)"
    "$program" | grep -qx "dal $version: 42" || fail "$program did not run"
done
/usr/bin/dal --version | grep -q "$version" || fail "dal --version: $(/usr/bin/dal --version 2>&1)"

cleanup
trap - EXIT
for p in $packages; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        fail "$p is still installed after dpkg -r"
    fi
done
[ ! -e "/usr/lib/$multiarch/libdal.so.0.1" ] || fail "libdal.so.0.1 is still in /usr/lib/$multiarch"
echo "package_test: libdal0.1, libdal-dev and dal-tools $version built, installed, used and removed"
