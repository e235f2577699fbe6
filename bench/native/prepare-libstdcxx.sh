#!/usr/bin/env bash
# Makes a libstdc++.so.6 that TorchSharp's native library can load, in bench/.native/lib, when the system's is too old.
#
# Why: TorchSharp 0.107.0's libLibTorchSharp.so was built with GCC 13 and asks for GLIBCXX_3.4.32; Debian 12 ships
# GCC 12's libstdc++ (up to GLIBCXX_3.4.30). Debian 13's libstdc++6 package cannot simply be copied in: it needs
# glibc 2.38 (__isoc23_strtoul) and Debian 12 has 2.36. So this script takes Debian 13's "shared library subset kit"
# (package libstdc++-14-pic: the PIC objects and the version map of GCC 14's libstdc++) and links them here, against
# this system's glibc, into a complete libstdc++.so.6, adding the few symbols the kit leaves out (compat.cc).
# Nothing on the system changes: apt runs with its lists and downloads in bench/.native/work, and the harness puts
# bench/.native/lib on LD_LIBRARY_PATH of the peer's process only.
#
# Usage: prepare-libstdcxx.sh [--force] [NATIVE_DIR...]
#   NATIVE_DIRs hold the peer's native libraries; every libstdc++ symbol version they import must be exported by the
#   rebuilt library, or the script fails naming the missing ones.
# Exits 0 without doing anything when the system's libstdc++ already has GLIBCXX_3.4.32, or when the library is
# already built. Needs: apt-get and dpkg-deb (Debian or a derivative), gcc, g++ and objdump.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)/.native"
lib="$root/lib"
work="$root/work"
required=GLIBCXX_3.4.32
suite=trixie                 # Debian 13, whose default GCC is 14
kit=libstdc++-14-pic

force=0
native_dirs=()
for arg in "$@"; do
    case "$arg" in
        --force) force=1 ;;
        *) native_dirs+=("$arg") ;;
    esac
done

log() { echo "prepare-libstdcxx: $*" >&2; }

system_libstdcxx() {
    local path
    path="$({ /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true; } | awk '/libstdc\+\+\.so\.6 .*x86-64/ { print $NF; exit }')"
    [ -n "$path" ] || path="$(gcc -print-file-name=libstdc++.so.6 2>/dev/null || true)"
    echo "$path"
}

# Every GLIBCXX/CXXABI name@version that the ELF files under the given folders import.
imported_symbols() {
    local dir f
    for dir in "$@"; do
        [ -d "$dir" ] || continue
        find "$dir" -maxdepth 1 -type f -name '*.so*' -print0 | while IFS= read -r -d '' f; do
            objdump -T "$f" 2>/dev/null | awk '/\*UND\*/ && /(GLIBCXX|CXXABI)_/ { v = $(NF-1); gsub(/[()]/, "", v); print $NF "@" v }'
        done
    done | sort -u
}

exported_symbols() {
    objdump -T "$1" | awk '!/\*UND\*/ && /(GLIBCXX|CXXABI)_/ { v = $(NF-1); gsub(/[()]/, "", v); print $NF "@" v }' | sort -u
}

check_coverage() {
    [ "${#native_dirs[@]}" -gt 0 ] || return 0
    local missing
    missing="$(comm -23 <(imported_symbols "${native_dirs[@]}") <(exported_symbols "$1"))"
    if [ -n "$missing" ]; then
        log "$1 lacks symbols that the peer's native libraries import:"
        echo "$missing" >&2
        log "add them to $here/compat.cc and run again with --force"
        return 1
    fi
}

system="$(system_libstdcxx)"
if [ -n "$system" ] && grep -qa "$required" "$system"; then
    log "not needed: $system already exports $required"
    rm -rf "$lib"
    exit 0
fi

if [ "$force" = 0 ] && [ -f "$lib/libstdc++.so.6" ]; then
    check_coverage "$lib/libstdc++.so.6"
    exit 0
fi

for tool in apt-get dpkg-deb dpkg gcc g++ objdump; do
    command -v "$tool" >/dev/null || { log "needs $tool on PATH (see bench/README.md)"; exit 1; }
done

# The Debian mirror this machine's apt already uses (first non-security source), or $DENDRITE_DEBIAN_MIRROR.
mirror_uri() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk 'BEGIN { RS = ""; FS = "\n" }
             { uri = ""; suites = "";
               for (i = 1; i <= NF; i++) {
                   if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); uri = $i }
                   if ($i ~ /^Suites:/) suites = $i
               }
               if (uri != "" && suites !~ /security/ && uri !~ /security/) { split(uri, u, " "); print u[1]; exit } }' "$f"
    done
    grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        grep -v security | awk '{ for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; exit } }' || true
}
mirror="${DENDRITE_DEBIAN_MIRROR:-$(mirror_uri | head -n 1)}"
[ -n "$mirror" ] || { log "no Debian mirror found in /etc/apt; set DENDRITE_DEBIAN_MIRROR"; exit 1; }
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[ -f "$keyring" ] || { log "needs $keyring (package debian-archive-keyring)"; exit 1; }

rm -rf "$work"
mkdir -p "$work/etc/sources.list.d" "$work/etc/preferences.d" "$work/lists/partial" "$work/cache/archives/partial" "$lib"
arch="$(dpkg --print-architecture)"
echo "deb [arch=$arch signed-by=$keyring] $mirror $suite main" >"$work/etc/sources.list"
apt_options=(
    -o "Dir::Etc::SourceList=$work/etc/sources.list"
    -o "Dir::Etc::SourceParts=$work/etc/sources.list.d"
    -o "Dir::Etc::PreferencesParts=$work/etc/preferences.d"
    -o "Dir::State::Lists=$work/lists"
    -o "Dir::Cache=$work/cache"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=$(id -un)"
    -o "Acquire::Languages=none"
    -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
    -o "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false"
)
log "downloading $kit from Debian $suite (apt state in $work)"
apt-get "${apt_options[@]}" -qq update
(cd "$work" && apt-get "${apt_options[@]}" -qq download "$kit")
deb="$(ls "$work"/"$kit"_*.deb)"
dpkg-deb -x "$deb" "$work/kit"
archive="$(find "$work/kit" -name 'libstdc++_pic.a' | head -n 1)"
map="$(find "$work/kit" -name 'libstdc++_pic.map' | head -n 1)"
[ -n "$archive" ] && [ -n "$map" ] || { log "$deb has no libstdc++_pic.a and .map"; exit 1; }

log "linking $lib/libstdc++.so.6 from $(basename "$deb")"
g++ -O2 -fPIC -c "$here/compat.cc" -o "$work/compat.o"
# -z defs: every symbol must resolve against this system's glibc, libm and libgcc_s now, not at load time.
gcc -shared -o "$work/libstdc++.so.6" -Wl,-z,defs -Wl,-soname,libstdc++.so.6 -Wl,--version-script="$map" \
    -Wl,--whole-archive "$archive" -Wl,--no-whole-archive "$work/compat.o" -lm -lc -lgcc_s
grep -qa "$required" "$work/libstdc++.so.6" || { log "the rebuilt library lacks $required"; exit 1; }
check_coverage "$work/libstdc++.so.6"
mv "$work/libstdc++.so.6" "$lib/libstdc++.so.6"
basename "$deb" >"$lib/SOURCE"
rm -rf "$work"
log "done: $lib/libstdc++.so.6"
