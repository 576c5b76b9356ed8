#!/usr/bin/env bash
# Builds libsrt with socket groups (ENABLE_BONDING) as one static library,
# for the group interop tests (srt-proto/tests/interop_group*.rs).
#
# Why: Debian's libsrt 1.5.1 packages (gnutls and openssl flavours) are
# built without bonding: srt_create_group() returns SRT_ERROR and
# SRTO_GROUPCONNECT is an unknown option. The tests therefore need a libsrt
# of the same version built with ENABLE_BONDING=1.
#
# Usage: build-libsrt-bonding.sh SRC_DIR OUT_DIR
#   SRC_DIR  a libsrt source tree (tag v1.5.1: git clone --depth 1 -b v1.5.1
#            https://github.com/Haivision/srt)
#   OUT_DIR  gets include/srt/*.h (with version.h) and lib/libsrt-bonding.a
# Then point the tests at it: SRT_BONDING_DIR=OUT_DIR cargo test ...
#
# Needs only gcc/g++, ar and the GnuTLS + Nettle headers (libgnutls28-dev,
# nettle-dev: libsrt-gnutls-dev depends on both), no cmake. The compile
# flags are those libsrt's CMakeLists.txt sets on Linux for
# -DENABLE_BONDING=ON -DUSE_ENCLIB=gnutls with logging on.
set -euo pipefail
src="$(cd "$1" && pwd)"
out="$2"
mkdir -p "$out/obj" "$out/include/srt" "$out/lib"
out="$(cd "$out" && pwd)"

version="$(sed -n 's/^set (SRT_VERSION \([0-9.]*\)).*/\1/p' "$src/CMakeLists.txt")"
[ -n "$version" ] || { echo "no SRT_VERSION in $src/CMakeLists.txt" >&2; exit 1; }
IFS=. read -r major minor patch <<<"$version"
sed -e "s/@SRT_VERSION_MAJOR@/$major/; s/@SRT_VERSION_MINOR@/$minor/" \
    -e "s/@SRT_VERSION_PATCH@/$patch/; s/@SRT_VERSION@/$version/" \
    -e '/#cmakedefine SRT_VERSION_BUILD/d' \
    "$src/srtcore/version.h.in" >"$out/include/srt/version.h"
for h in srt.h logging_api.h access_control.h platform_sys.h udt.h; do
  cp "$src/srtcore/$h" "$out/include/srt/"
done

defs=(-DNDEBUG -DLINUX=1 -DHAI_PATCH=1 -DHAI_ENABLE_SRT=1 "-DSRT_VERSION=\"$version\""
  -DSRT_ENABLE_APP_READER -DSRT_ENABLE_CLOSE_SYNCH -DENABLE_MONOTONIC_CLOCK=1
  -DENABLE_SOCK_CLOEXEC=1 -DENABLE_NEW_RCVBUFFER=1 -DSRT_ENABLE_BINDTODEVICE
  -DSRT_ENABLE_ENCRYPTION -DUSE_GNUTLS=1 -DENABLE_LOGGING=1 -DENABLE_BONDING=1
  -D_GNU_SOURCE)
incs=(-I"$out/include/srt" -I"$src/srtcore" -I"$src/haicrypt" -I"$src/common")
# shellcheck disable=SC2207
ssl=($(pkg-config --cflags gnutls nettle 2>/dev/null || true))

# The source lists are libsrt's own: srtcore/filelist.maf (plain, bonding
# and posix-sync sections) and haicrypt/filelist-gnutls.maf.
maf_sources() { # file section...
  local file="$1"; shift
  awk -v want="$*" '
    BEGIN { n = split(want, w, "|") }
    /^[A-Z]/ { cur = $0; next }
    NF == 1 && cur != "" { for (i = 1; i <= n; i++) if (cur == w[i]) print $1 }
  ' "$file"
}
sources=()
while read -r f; do sources+=("srtcore/$f"); done < <(
  maf_sources "$src/srtcore/filelist.maf" "SOURCES|SOURCES - ENABLE_BONDING|SOURCES - !ENABLE_STDCXX_SYNC")
while read -r f; do sources+=("haicrypt/$f"); done < <(
  maf_sources "$src/haicrypt/filelist-gnutls.maf" "SOURCES")

compile() { # relative source path
  local rel="$1" obj
  obj="$out/obj/$(echo "$rel" | tr / _).o"
  [ "$obj" -nt "$src/$rel" ] && return 0
  case "$rel" in
    *.c) gcc -O2 -w -fPIC -std=gnu99 "${defs[@]}" "${incs[@]}" "${ssl[@]}" -c "$src/$rel" -o "$obj" ;;
    *) g++ -O2 -w -fPIC -std=c++11 "${defs[@]}" "${incs[@]}" "${ssl[@]}" -c "$src/$rel" -o "$obj" ;;
  esac
}
jobs="${JOBS:-$(nproc)}"
for rel in "${sources[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
  compile "$rel" &
done
fail=0
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || fail=1; done
wait || fail=1
[ "$fail" = 0 ] || { echo "libsrt compile failed" >&2; exit 1; }
rm -f "$out/lib/libsrt-bonding.a"
ar rcs "$out/lib/libsrt-bonding.a" "$out"/obj/*.o
echo "built $out/lib/libsrt-bonding.a (libsrt $version, ENABLE_BONDING=1, ${#sources[@]} sources)"
