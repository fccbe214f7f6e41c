#!/bin/bash
# Image conversion benchmark (issue 6): a Debian image built like
# `debootstrap --variant=minbase` (base layer), then a layer that installs
# python3 and deletes docs, man pages and locales, then one that purges two
# packages: pushed to the local test registry and converted to squashfs:
#   - cold `sporectl image pull`
#   - the pipeline a user would script: skopeo copy + umoci unpack + mksquashfs
#   - the two squashfs writers on the same merged tar (tar2sqfs, mksquashfs -tar)
#   - a warm re-pull: wall time (median of 5, and spore's CPU time), and blob
#     requests counted at the registry
# Prints a table; exits non-zero if sporectl's own targets are missed
# (>= 2x faster than the pipeline, <= 64 MiB peak RSS, warm <= 50 ms with
# 0 blob requests).
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
reg=127.0.0.1:5000
img=$reg/spore-test/debian-minbase:latest
sporectl=${SPORECTL:-$SPORE_ROOT_DIR/$SPORE_BUILD_DIR/controller/sporectl}
[ -x "$sporectl" ] || die "no sporectl at $sporectl (build first, or set SPORECTL)"
"$SPORE_ROOT_DIR/scripts/test-registry.sh" start || die "the test registry did not start"
tmp=$(mktemp -d)
mock=
trap '[ -n "$mock" ] && kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT

# The image, built once (the registry keeps it). The base layer holds what
# debootstrap --variant=minbase installs: Priority: required plus apt, as
# apt resolves them on an empty system, unpacked from Debian's .debs with
# merged /usr (maintainer scripts do not run: the files, owners and modes are
# what the conversion sees). The .debs are kept in $SPORE_CACHE/bench-debs.
debs=$SPORE_CACHE/bench-debs
resolve() { # resolve PKG...: the packages apt installs for them on an empty system
	apt-get -o Dir::State::status=/dev/null -o Debug::NoLocking=1 install -s -qq \
		--no-install-recommends "$@" 2>/dev/null | awk '/^Inst /{print $2}'
}
unpack_debs() { # unpack_debs ROOT PKG...: each package's files into ROOT
	local r=$1 p
	shift
	for p in "$@"; do
		dpkg-deb --fsys-tarfile "$(ls "$debs/${p}"_*.deb | head -n 1)" |
			tar -x --keep-directory-symlink --same-owner -p -C "$r" || return 1
	done
}
build_image() {
	local b=$SPORE_CACHE/bench-image req base all extra p missing=()
	req=$(apt-cache dumpavail | awk '/^Package:/{p=$2} /^Priority: required/{print p}' | sort -u)
	# shellcheck disable=SC2086
	base=$(resolve $req apt)
	# shellcheck disable=SC2086
	all=$(resolve $req apt python3)
	extra=$(comm -13 <(echo "$base" | sort) <(echo "$all" | sort))
	[ "$(echo "$base" | wc -w)" -ge 50 ] && [ -n "$extra" ] ||
		die "apt could not resolve the minbase package set (apt-get update?)"
	mkdir -p "$debs"
	for p in $all; do compgen -G "$debs/${p}_*.deb" >/dev/null || missing+=("$p"); done
	if [ ${#missing[@]} -gt 0 ]; then
		note "downloading ${#missing[@]} Debian packages for the benchmark image"
		(cd "$debs" && run_logged "$debs/fetch.log" apt-get download "${missing[@]}") ||
			die "apt-get download failed"
	fi
	rm -rf "$b" && mkdir -p "$b"
	umoci init --layout "$b/oci" && umoci new --image "$b/oci:bench" &&
		umoci unpack --image "$b/oci:bench" "$b/bundle" >/dev/null || die "umoci failed"
	local r=$b/bundle/rootfs
	mkdir -p "$r/usr/bin" "$r/usr/sbin" "$r/usr/lib" "$r/usr/lib64"
	for p in bin sbin lib lib64; do ln -s "usr/$p" "$r/$p"; done
	# shellcheck disable=SC2086
	unpack_debs "$r" $base || die "unpacking the base packages failed"
	umoci repack --refresh-bundle --image "$b/oci:bench" "$b/bundle" >/dev/null || die "umoci repack failed"
	# shellcheck disable=SC2086
	unpack_debs "$r" $extra || die "unpacking python3 failed"
	rm -rf "$r"/usr/share/{doc,man,info,locale} && mkdir "$r/usr/share/doc"
	umoci repack --refresh-bundle --image "$b/oci:bench" "$b/bundle" >/dev/null || die "umoci repack failed"
	for p in e2fsprogs tzdata; do
		dpkg-deb --fsys-tarfile "$(ls "$debs/${p}"_*.deb | head -n 1)" | tar -t |
			while read -r f; do [ -d "$r/$f" ] || rm -f "$r/$f"; done
	done
	umoci repack --refresh-bundle --image "$b/oci:bench" "$b/bundle" >/dev/null || die "umoci repack failed"
	umoci config --image "$b/oci:bench" --config.cmd /bin/bash >/dev/null || die "umoci config failed"
	skopeo copy -q --dest-tls-verify=false "oci:$b/oci:bench" "docker://$img" || die "push failed"
	rm -rf "$b"
}
if ! curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	"http://$reg/v2/spore-test/debian-minbase/manifests/latest"; then
	note "building the benchmark image (once)"
	build_image
fi

# run NAME CMD...: wall seconds and peak RSS (KiB) into $tmp/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1 || {
		tail -n 5 "$tmp/$name.log" >&2
		die "$name failed: $*"
	}
}
secs() { cut -d' ' -f1 "$tmp/$1"; }
rss() { cut -d' ' -f2 "$tmp/$1"; }
sync

run spore "$sporectl" image pull --root "$tmp/root" -q "$img"
digest=$(tail -n 1 "$tmp/spore.log")
sqfs=$tmp/root/images/rootfs/${digest#sha256:}.sqfs

run copy skopeo copy -q --src-tls-verify=false "docker://$img" "oci:$tmp/oci:bench"
run unpack umoci unpack --image "$tmp/oci:bench" "$tmp/bundle"
run mksq mksquashfs "$tmp/bundle/rootfs" "$tmp/pipe.sqfs" -comp zstd -Xcompression-level 3 -quiet -no-progress
pipe_s=$(echo "$(secs copy) + $(secs unpack) + $(secs mksq)" | bc)
pipe_rss=$(printf '%s\n' "$(rss copy)" "$(rss unpack)" "$(rss mksq)" | sort -n | tail -n 1)

# Writers on the same tar (the merged root, as a tar on disk).
tar -C "$tmp/bundle/rootfs" --numeric-owner -cf "$tmp/merged.tar" .
run w_tar2sqfs sh -c "tar2sqfs -q -f -c zstd -X level=3 '$tmp/w1.sqfs' <'$tmp/merged.tar'"
run w_mksq sh -c "mksquashfs - '$tmp/w2.sqfs' -tar -comp zstd -Xcompression-level 3 -quiet -no-progress <'$tmp/merged.tar'"

# Warm: through the counting front (tests/integration/auth-registry.py).
python3 "$SPORE_ROOT_DIR/tests/integration/auth-registry.py" --upstream "$reg" --ports-file "$tmp/ports" --log "$tmp/mock.log" &
mock=$!
for _ in $(seq 50); do [ -s "$tmp/ports" ] && break; sleep 0.1; done
port=$(cut -d' ' -f1 "$tmp/ports")
"$sporectl" image pull --root "$tmp/root" -q "127.0.0.1:$port/spore-test/debian-minbase" >/dev/null 2>&1 || die "pull through the counting front failed"
: >"$tmp/mock.log"
start=$(date +%s%N)
"$sporectl" image pull --root "$tmp/root" -q "127.0.0.1:$port/spore-test/debian-minbase" >/dev/null 2>&1 || die "warm pull failed"
warm_ms=$((($(date +%s%N) - start) / 1000000))
warm_blobs=$(grep -c '/blobs/' "$tmp/mock.log")
# Five direct re-pulls: wall and CPU (user+sys) ms, medians (the wall time
# of a 10 ms job swings with the load of the machine).
TIMEFORMAT='%3R %3U %3S'
for _ in 1 2 3 4 5; do
	{ time "$sporectl" image pull --root "$tmp/root" -q "$img" >/dev/null 2>&1; } 2>>"$tmp/warm" ||
		die "warm pull failed"
done
median() { sort -n | sed -n 3p; }
warm_direct_ms=$(awk '{printf "%d\n", $1 * 1000}' "$tmp/warm" | median)
warm_cpu_ms=$(awk '{printf "%d\n", ($2 + $3) * 1000}' "$tmp/warm" | median)

mib() { echo "$(($1 / 1024)) MiB"; }
size() { echo "$(($(stat -c %s "$1") / 1048576)) MiB"; }
printf '%-46s %8s %10s %10s\n' "" "wall s" "peak RSS" "output"
printf '%-46s %8s %10s %10s\n' "sporectl image pull (cold)" "$(secs spore)" "$(mib "$(rss spore)")" "$(size "$sqfs")"
printf '%-46s %8s %10s %10s\n' "skopeo copy + umoci unpack + mksquashfs" "$pipe_s" "$(mib "$pipe_rss")" "$(size "$tmp/pipe.sqfs")"
printf '%-46s %8s %10s\n' "  skopeo copy" "$(secs copy)" "$(mib "$(rss copy)")"
printf '%-46s %8s %10s\n' "  umoci unpack" "$(secs unpack)" "$(mib "$(rss unpack)")"
printf '%-46s %8s %10s\n' "  mksquashfs DIR (zstd 3)" "$(secs mksq)" "$(mib "$(rss mksq)")"
printf '%-46s %8s %10s %10s\n' "writer: tar2sqfs -c zstd -X level=3 < tar" "$(secs w_tar2sqfs)" "$(mib "$(rss w_tar2sqfs)")" "$(size "$tmp/w1.sqfs")"
printf '%-46s %8s %10s %10s\n' "writer: mksquashfs - -tar (zstd 3) < tar" "$(secs w_mksq)" "$(mib "$(rss w_mksq)")" "$(size "$tmp/w2.sqfs")"
printf '%-46s %8s  (CPU %s ms; medians of 5)\n' "warm re-pull, loopback registry (ms)" "$warm_direct_ms" "$warm_cpu_ms"
printf '%-46s %8s  (%s blob requests)\n' "warm re-pull, token front (ms)" "$warm_ms" "$warm_blobs"

fail=0
speedup=$(echo "scale=2; $pipe_s / $(secs spore)" | bc)
echo "speed-up over the pipeline: ${speedup}x (target >= 2)"
[ "$(echo "$speedup >= 2" | bc)" = 1 ] || fail=1
[ "$(rss spore)" -le 65536 ] || { echo "peak RSS over 64 MiB"; fail=1; }
[ "$warm_blobs" = 0 ] || { echo "warm re-pull made blob requests"; fail=1; }
[ "$warm_direct_ms" -le 50 ] || { echo "warm re-pull over 50 ms"; fail=1; }
exit $fail
