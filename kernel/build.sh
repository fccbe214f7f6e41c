#!/bin/bash
# Builds spore's x86_64 Xen PV guest kernel from Debian's linux-source-6.1 with
# kernel/patches/*.patch: tinyconfig's fragments + kernel/spore.config, everything built
# in, no modules. Cached by (linux-source-6.1 version, gcc version, spore.config,
# the patches, build.sh); quiet on success. See --help.
set -euo pipefail

prog=kernel/build.sh
kdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$kdir/.." && pwd)
cache=$root/.cache/kernel
out=$cache/spore-vmlinuz
fragment=$kdir/spore.config
patches=("$kdir"/patches/*.patch)
[ -e "${patches[0]}" ] || patches=()
tarball=/usr/src/linux-source-6.1.tar.xz

# Debian packages the build needs (on top of Essential ones: tar, gzip, ...).
# libelf-dev: objtool; zstd: compresses the image (CONFIG_KERNEL_ZSTD).
build_pkgs=(linux-source-6.1 xz-utils zstd make gcc libc6-dev bc flex bison libelf-dev patch)

usage() {
	cat <<USAGE
Usage: $prog [--force] [--print-key]

Builds spore's guest kernel (x86_64 Xen PV, everything built in, no modules)
from Debian's linux-source-6.1 ($tarball), with kernel/patches/*.patch
applied in name order: \`make allnoconfig\` with tinyconfig's fragments and kernel/spore.config as
KCONFIG_ALLCONFIG, \`make olddefconfig\`,
a check that every option of the fragment came out as requested, and
\`nice make -j\$(nproc) bzImage\`.

Installs:
  .cache/kernel/spore-vmlinuz          the bzImage (zstd), sporectl's default kernel
  .cache/kernel/spore-vmlinuz.config   its .config
  .cache/kernel/spore-vmlinuz.key      the cache key it was built with
The build tree is .cache/kernel/build-KEY/ (log: build-KEY/build.log; obj/vmlinux
is the uncompressed ELF; obj links to .cache/kernel/obj-SOURCE/, the object tree
that builds from the same source share, so a changed key rebuilds incrementally). With an unchanged key (linux-source-6.1 version, gcc
version, hash of spore.config, the patches and build.sh) it does nothing.

  --force       Rebuild even if the cached kernel matches the key
  --print-key   Print the cache key and exit
  -h, --help    Show this help

Needs the Debian packages: ${build_pkgs[*]}
(scripts/setup.sh installs them).
USAGE
}

die() {
	echo "$prog: $*" >&2
	exit 1
}

force=0 print_key=0
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1 ;;
	--print-key) print_key=1 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "$prog: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

missing=()
for p in "${build_pkgs[@]}"; do
	dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] || die "missing packages: ${missing[*]}; run scripts/setup.sh (or apt-get install ${missing[*]})"
[ -r "$tarball" ] || die "$tarball is missing; reinstall linux-source-6.1"
[ -r "$fragment" ] || die "$fragment is missing"

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
ccver=$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)
patchsum=$({ for p in "${patches[@]}"; do sha256sum <"$p"; done; } | sha256sum | cut -c1-64)
key=$({
	echo "linux-source-6.1 $srcver"
	echo "gcc $ccver"
	sha256sum <"$fragment"
	echo "patches $patchsum"
	sha256sum <"$kdir/build.sh"
} | sha256sum | cut -c1-16)
# The patched source, unpacked once per (package version, patches) and shared
# by builds (O= keeps it clean).
srcid=$srcver-${patchsum:0:8}
if [ $print_key = 1 ]; then
	echo "$key"
	exit 0
fi

up_to_date() {
	[ $force = 0 ] && [ -s "$out" ] && [ -s "$out.config" ] &&
		[ "$(cat "$out.key" 2>/dev/null)" = "$key" ]
}
up_to_date && exit 0

mkdir -p "$cache"
# One build at a time (setup.sh, CI and a developer may race).
exec 9>"$cache/.lock"
flock 9
up_to_date && exit 0

build=$cache/build-$key
log=$build/build.log
src=$cache/src-$srcid/linux-source-6.1
# The object tree lives at one path per unpacked source, not per key, so a new
# key (a changed spore.config, say) rebuilds only what the new .config
# touches: kbuild's command lines and objtool's dependency name absolute
# paths, so an object tree that moved would be rebuilt whole. --force starts
# from an empty one.
obj=$cache/obj-$srcid
rm -rf "$build"
mkdir -p "$build"
: >"$log"
if [ ! -d "$obj" ]; then
	# Adopt the tree of a build from before this layout (build-KEY/obj, same
	# source) instead of compiling into an empty one.
	for d in "$cache"/build-*/obj; do
		[ -d "$d" ] && [ ! -L "$d" ] || continue
		grep -qxF "include $src/Makefile" "$d/Makefile" 2>/dev/null || continue
		mv "$d" "$obj"
		break
	done
fi
[ $force = 0 ] || rm -rf "$obj"
mkdir -p "$obj"
# build-KEY/obj/vmlinux stays the way to this build's ELF.
ln -sfn "$obj" "$build/obj"

fail() {
	echo "--- last lines of $log:" >&2
	tail -n 25 "$log" >&2
	die "$*"
}

# Runs a command with its output in the log.
logged() {
	echo "+ $*" >>"$log"
	"$@" >>"$log" 2>&1
}

if [ ! -f "$src/Makefile" ]; then
	tmp=$cache/src-$srcid.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	logged tar -xJf "$tarball" -C "$tmp" || fail "cannot unpack $tarball"
	[ -f "$tmp/linux-source-6.1/Makefile" ] || fail "$tarball has no linux-source-6.1/Makefile"
	for p in "${patches[@]}"; do
		logged patch -d "$tmp/linux-source-6.1" -p1 --forward --batch --no-backup-if-mismatch -i "$p" ||
			fail "kernel/patches/${p##*/} does not apply to linux-source-6.1 $srcver"
	done
	rm -rf "$cache/src-$srcid"
	mv "$tmp" "$cache/src-$srcid"
fi

# Reproducible version string: no user, host or build time of this machine,
# and no build counter (it would count the incremental builds in $obj).
kmake=(make -C "$src" O="$obj" ARCH=x86_64
	KBUILD_BUILD_USER=spore KBUILD_BUILD_HOST=spore KBUILD_BUILD_VERSION=1
	"KBUILD_BUILD_TIMESTAMP=$(date -u -r "$tarball" '+%Y-%m-%d')")

# tinyconfig's own recipe (allnoconfig + its fragments), with spore.config last
# in the same KCONFIG_ALLCONFIG file: every option neither fragment asks for is
# off. (tinyconfig followed by merge_config.sh + olddefconfig would instead give
# each option that spore.config makes visible its default, mostly y.)
cat "$src/kernel/configs/tiny-base.config" "$src/kernel/configs/tiny.config" \
	"$src/arch/x86/configs/tiny.config" "$fragment" >"$build/allconfig" ||
	fail "cannot write $build/allconfig"
logged "${kmake[@]}" KCONFIG_ALLCONFIG="$build/allconfig" allnoconfig || fail "make allnoconfig failed"
logged "${kmake[@]}" olddefconfig || fail "make olddefconfig failed"

# kconfig drops what it cannot satisfy without a word: check every line.
bad=()
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		opt=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		opt=${BASH_REMATCH[1]} want=n
	else
		continue
	fi
	got=$(grep -E "^$opt=|^# $opt is not set\$" "$obj/.config" | sed -E "s/^$opt=//; s/^# $opt is not set\$/n/") || true
	[ -n "$got" ] || got=n # absent: dependencies unmet (or no such option)
	[ "$got" = "$want" ] || bad+=("$opt=$want (got ${got})")
done <"$fragment"
if [ ${#bad[@]} -gt 0 ]; then
	for b in "${bad[@]}"; do echo "$prog: option did not come out as requested: $b" >>"$log"; done
	die "kconfig dropped or changed options from kernel/spore.config (missing dependency?): ${bad[*]}"
fi

start=$(date +%s)
logged nice -n 10 "${kmake[@]}" -j"$(nproc)" bzImage || fail "kernel build failed"
echo "built in $(($(date +%s) - start)) s" >>"$log"

img=$obj/arch/x86/boot/bzImage
[ -s "$img" ] || fail "the build produced no $img"
cp "$img" "$out.tmp"
cp "$obj/.config" "$out.config.tmp"
mv "$out.tmp" "$out"
mv "$out.config.tmp" "$out.config"
echo "$key" >"$out.key"

# Keep this build tree (vmlinux, log); drop stale ones and unpacked old sources.
for d in "$cache"/build-* "$cache"/src-* "$cache"/obj-*; do
	[ -e "$d" ] || continue
	case $d in "$build" | "$cache/src-$srcid" | "$obj") continue ;; esac
	rm -rf "$d"
done
exit 0
