#!/bin/sh
# Builds a spore guest initrd: a newc cpio with /init = sporeinit and, for
# kernels that build the needed drivers as modules, those modules plus
# /lib/modules/load.list naming them in the order given.
# Usage: mkinitrd.sh OUT SPOREINIT [--modules KO...]
# OUT ending in .gz is gzip-compressed. Works with GNU and busybox cpio.
set -eu
[ $# -ge 2 ] || { echo "usage: $0 OUT SPOREINIT [--modules KO...]" >&2; exit 2; }
out=$1 init=$2
shift 2
stage=$(mktemp -d "${TMPDIR:-/tmp}/spore-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
mkdir -p "$stage/dev" "$stage/proc" "$stage/sys" "$stage/lower" "$stage/rw" "$stage/newroot"
cp "$init" "$stage/init"
chmod 0755 "$stage/init"
if [ "${1:-}" = --modules ]; then
	shift
	mkdir -p "$stage/lib/modules"
	for ko in "$@"; do
		name=$(basename "$ko")
		cp "$ko" "$stage/lib/modules/$name"
		echo "$name" >>"$stage/lib/modules/load.list"
	done
fi
tmp="$out.tmp.$$"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet 2>/dev/null ||
	find . | LC_ALL=C sort | cpio -o -H newc -R 0:0) >"$tmp.raw"
case $out in
*.gz) gzip -9 -n <"$tmp.raw" >"$tmp" && rm -f "$tmp.raw" ;;
*) mv "$tmp.raw" "$tmp" ;;
esac
mv "$tmp" "$out"
