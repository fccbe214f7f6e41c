#!/bin/bash
# Hostile images, each as an OCI layout (tests/integration/hostile-images.py;
# no registry needed): decompression bombs, huge tar headers and PAX records,
# very many entries in one directory, deep nesting, long names. Each is
# refused with one clear line and leaves nothing in the cache's tmp/,
# rootfs/ or refs/, nor anywhere else; what is sane (deep nesting within
# PATH_MAX, a 255-byte name) pulls. Times are printed, never asserted.
# Prints TAP. SPORECTL overrides the binary (default: build-san's, else build's).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }

sporectl=${SPORECTL:-}
for b in build-san build; do
	[ -n "$sporectl" ] || [ ! -x "$root/$b/controller/sporectl" ] || sporectl=$root/$b/controller/sporectl
done
if [ -z "$sporectl" ] || ! command -v zstd >/dev/null; then
	echo "1..0 # SKIP sporectl is not built, or no zstd"
	exit 0
fi
sporectl=$(realpath "$sporectl")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$root/tests/integration/hostile-images.py" "$tmp/img" >"$tmp/gen.log" 2>&1
ok $? "the hostile images are written ($(du -sh "$tmp/img" | cut -f1) in all)"
touch "$tmp/marker"

# pull NAME [ARGS...]: pulls oci:$tmp/img/NAME:latest into its own cache;
# sets rc, ms; stderr in $tmp/err.
pull() {
	local name=$1 start
	shift
	start=$(date +%s%N)
	"$sporectl" image pull --root "$tmp/c-$name" -q "$@" "oci:$tmp/img/$name:latest" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
}
# Nothing left in the cache but what a successful pull keeps.
clean() { [ -z "$(find "$tmp/c-$1/images/"{tmp,rootfs,refs} -mindepth 1 2>/dev/null)" ]; }
refused() { # NAME WANT DESCRIPTION [ARGS...]
	local name=$1 want=$2 what=$3
	shift 3
	pull "$name" "$@"
	ok $([ $rc = 1 ] && [ "$(wc -l <"$tmp/err")" = 1 ] && grep -q -- "$want" "$tmp/err" && clean "$name"; echo $?) \
		"$what: refused in $ms ms, nothing cached: $(cut -c1-200 "$tmp/err")"
}

refused bomb-header "layer 1: the image unpacks to more than 68719476736 bytes" \
	"a tar entry claiming 1 TiB (a 100-byte layer)"
refused bomb-zstd "layer 1: the image unpacks to more than 67108864 bytes" \
	"2 GiB of zeros in $(du -k "$tmp"/img/bomb-zstd/blobs/sha256 | cut -f1) KiB of zstd, --max-size 64M" --max-size 64M
refused pax-huge "corrupt or truncated: Special header too large" "a 32 MiB PAX record"
refused longlink-huge "corrupt or truncated: Special header too large" "a 1 MiB GNU long name"
refused long-name "name or path too long" "a 300-byte file name"
refused long-path "name or path too long" "a 5000-byte path"
refused many "directory '/m' has more than 16384 entries" "100000 entries in one directory"
pull deep
ok $([ $rc = 0 ] && [ -n "$(ls "$tmp/c-deep/images/rootfs")" ]; echo $?) \
	"1500 nested directories (a 3000-byte path) pull, in $ms ms: $(cat "$tmp/err")"
ok $([ -z "$(find "$tmp" -mindepth 1 -newer "$tmp/marker" -not -path "$tmp/c-*" -not -name out -not -name err)" ] &&
	[ -z "$(find /tmp -maxdepth 1 -newer "$tmp/marker" -name 'escaped*')" ]; echo $?) \
	"nothing was written outside the caches"
echo "1..$n"
