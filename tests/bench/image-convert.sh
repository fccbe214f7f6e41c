#!/bin/bash
# Image conversion benchmark (issue 6): a realistic two-layer image (the
# host's Python library and docs as a base, then a layer that adds headers
# and deletes the docs) in the local test registry, converted to squashfs:
#   - cold `sporectl image pull`
#   - the pipeline a user would script: skopeo copy + umoci unpack + mksquashfs
#   - the two squashfs writers on the same merged tar (tar2sqfs, mksquashfs -tar)
#   - a warm re-pull: wall time, and blob requests counted at the registry
# Prints a table; exits non-zero if sporectl's own targets are missed
# (>= 2x faster than the pipeline, <= 64 MiB peak RSS, warm <= 50 ms with
# 0 blob requests).
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib/common.sh"
reg=127.0.0.1:5000
img=$reg/spore-test/bench:latest
sporectl=${SPORECTL:-$SPORE_ROOT_DIR/$SPORE_BUILD_DIR/controller/sporectl}
[ -x "$sporectl" ] || die "no sporectl at $sporectl (build first, or set SPORECTL)"
"$SPORE_ROOT_DIR/scripts/test-registry.sh" start || die "the test registry did not start"
tmp=$(mktemp -d)
mock=
trap '[ -n "$mock" ] && kill $mock 2>/dev/null; rm -rf "$tmp"' EXIT

# The image, built once (the registry keeps it).
if ! curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$reg/v2/spore-test/bench/manifests/latest"; then
	note "building the benchmark image (once)"
	b=$SPORE_CACHE/bench-image
	rm -rf "$b" && mkdir -p "$b"
	umoci init --layout "$b/oci" && umoci new --image "$b/oci:bench" &&
		umoci unpack --image "$b/oci:bench" "$b/bundle" >/dev/null || die "umoci failed"
	r=$b/bundle/rootfs
	mkdir -p "$r/usr/lib" "$r/usr/share"
	cp -a /usr/lib/python3 /usr/lib/python3.11 "$r/usr/lib/" && cp -a /usr/share/doc "$r/usr/share/" || die "copy failed"
	umoci repack --refresh-bundle --image "$b/oci:bench" "$b/bundle" || die "umoci repack failed"
	cp -a /usr/include "$r/usr/" && rm -rf "$r/usr/share/doc"
	umoci repack --refresh-bundle --image "$b/oci:bench" "$b/bundle" || die "umoci repack failed"
	skopeo copy -q --dest-tls-verify=false "oci:$b/oci:bench" "docker://$img" || die "push failed"
	rm -rf "$b"
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
"$sporectl" image pull --root "$tmp/root" -q "127.0.0.1:$port/spore-test/bench" >/dev/null 2>&1 || die "pull through the counting front failed"
: >"$tmp/mock.log"
start=$(date +%s%N)
"$sporectl" image pull --root "$tmp/root" -q "127.0.0.1:$port/spore-test/bench" >/dev/null 2>&1 || die "warm pull failed"
warm_ms=$((($(date +%s%N) - start) / 1000000))
warm_blobs=$(grep -c '/blobs/' "$tmp/mock.log")
start=$(date +%s%N)
"$sporectl" image pull --root "$tmp/root" -q "$img" >/dev/null 2>&1 || die "warm pull failed"
warm_direct_ms=$((($(date +%s%N) - start) / 1000000))

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
printf '%-46s %8s\n' "warm re-pull, loopback registry (ms)" "$warm_direct_ms"
printf '%-46s %8s  (%s blob requests)\n' "warm re-pull, token front (ms)" "$warm_ms" "$warm_blobs"

fail=0
speedup=$(echo "scale=2; $pipe_s / $(secs spore)" | bc)
echo "speed-up over the pipeline: ${speedup}x (target >= 2)"
[ "$(echo "$speedup >= 2" | bc)" = 1 ] || fail=1
[ "$(rss spore)" -le 65536 ] || { echo "peak RSS over 64 MiB"; fail=1; }
[ "$warm_blobs" = 0 ] || { echo "warm re-pull made blob requests"; fail=1; }
[ "$warm_direct_ms" -le 50 ] || { echo "warm re-pull over 50 ms"; fail=1; }
exit $fail
