#!/bin/bash
# Image conversion benchmark (issues 6 and 17), on two images: a Debian
# image built like `debootstrap --variant=minbase` (one layer), and the same
# with a layer that installs python3 and deletes docs, man pages and locales
# and one that purges two packages; pushed to the local test registry and
# converted to squashfs:
#   - cold `sporectl image pull` against the pipeline a user would script
#     (skopeo copy + umoci unpack + mksquashfs), alternated RUNS times
#     (default 3), medians of wall and CPU time; where spore's time went
#   - the two squashfs writers on the same merged tar (tar2sqfs, mksquashfs -tar)
#   - a warm re-pull: wall time (median of 5, and spore's CPU time), and blob
#     requests counted at the registry
# Prints tables; exits non-zero if sporectl misses issue 17's targets
# (>= 4x faster than the pipeline on each image, <= 64 MiB peak RSS, warm
# <= 50 ms with 0 blob requests).
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
have() { curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$reg/v2/$1"; }
if ! have spore-test/debian-minbase/manifests/latest; then
	note "building the benchmark image (once)"
	build_image
fi
# The smaller image: the same base layer alone (minbase, no python3).
base_img=$reg/spore-test/debian-minbase:base
if ! have spore-test/debian-minbase/manifests/base; then
	b=$tmp/base
	skopeo copy -q --src-tls-verify=false "docker://$img" "oci:$b:latest" || die "copying the image failed"
	python3 - "$b" <<'PY' || die "making the base-only image failed"
import hashlib, json, os, sys
d = sys.argv[1]
def blob(digest): return open(os.path.join(d, "blobs", *digest.split(":")), "rb").read()
def put(obj):
    data = json.dumps(obj).encode()
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs", "sha256", h), "wb").write(data)
    return "sha256:" + h, len(data)
index = json.loads(open(os.path.join(d, "index.json")).read())
m = json.loads(blob(index["manifests"][0]["digest"]))
cfg = json.loads(blob(m["config"]["digest"]))
cfg["rootfs"]["diff_ids"] = cfg["rootfs"]["diff_ids"][:1]
cfg["history"] = [h for h in cfg.get("history", []) if not h.get("empty_layer")][:1]
m["layers"] = m["layers"][:1]
m["config"]["digest"], m["config"]["size"] = put(cfg)
index["manifests"][0]["digest"], index["manifests"][0]["size"] = put(m)
index["manifests"][0].setdefault("annotations", {})["org.opencontainers.image.ref.name"] = "base"
open(os.path.join(d, "index.json"), "w").write(json.dumps(index))
PY
	skopeo copy -q --dest-tls-verify=false "oci:$b:base" "docker://$base_img" || die "pushing the base-only image failed"
	rm -rf "$b"
fi

# run NAME CMD...: wall seconds, peak RSS (KiB) and CPU seconds (user+sys,
# children included) into $tmp/NAME.
run() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1 || {
		tail -n 5 "$tmp/$name.log" >&2
		die "$name failed: $*"
	}
}
secs() { cut -d' ' -f1 "$tmp/$1"; }
rss() { cut -d' ' -f2 "$tmp/$1"; }
cpu() { awk '{print $3 + $4}' "$tmp/$1"; }
med() { sort -n | sed -n "$(((RUNS + 1) / 2))p"; }
mib() { echo "$(($1 / 1024)) MiB"; }
size() { echo "$(($(stat -c %s "$1") / 1048576)) MiB"; }
RUNS=${RUNS:-3}
sync

# convert IMAGE LABEL: RUNS cold pulls against RUNS runs of the pipeline,
# alternated; medians. Sets speedup and spore_rss.
convert() {
	local image=$1 label=$2 i s_w=() s_c=() p_w=() p_c=() c_w=() u_w=() m_w=() rss_s=0 rss_p=0 r
	for i in $(seq "$RUNS"); do
		rm -rf "$tmp/root" "$tmp/oci" "$tmp/bundle" "$tmp/pipe.sqfs"
		run spore "$sporectl" image pull --root "$tmp/root" -q "$image"
		digest=$(tail -n 1 "$tmp/spore.log")
		sqfs=$tmp/root/images/rootfs/${digest#sha256:}.sqfs
		run copy skopeo copy -q --src-tls-verify=false "docker://$image" "oci:$tmp/oci:bench"
		run unpack umoci unpack --image "$tmp/oci:bench" "$tmp/bundle"
		run mksq mksquashfs "$tmp/bundle/rootfs" "$tmp/pipe.sqfs" -comp zstd -Xcompression-level 3 -quiet -no-progress
		s_w+=("$(secs spore)") s_c+=("$(cpu spore)")
		c_w+=("$(secs copy)") u_w+=("$(secs unpack)") m_w+=("$(secs mksq)")
		p_w+=("$(echo "$(secs copy) + $(secs unpack) + $(secs mksq)" | bc)")
		p_c+=("$(echo "$(cpu copy) + $(cpu unpack) + $(cpu mksq)" | bc)")
		r=$(rss spore) && [ "$r" -gt "$rss_s" ] && rss_s=$r
		for r in "$(rss copy)" "$(rss unpack)" "$(rss mksq)"; do [ "$r" -gt "$rss_p" ] && rss_p=$r; done
	done
	local sw pw
	sw=$(printf '%s\n' "${s_w[@]}" | med) pw=$(printf '%s\n' "${p_w[@]}" | med)
	speedup=$(echo "scale=2; $pw / $sw" | bc) spore_rss=$rss_s
	echo "== $label ($image), median of $RUNS"
	printf '%-46s %8s %8s %10s %10s\n' "" "wall s" "CPU s" "peak RSS" "output"
	printf '%-46s %8s %8s %10s %10s\n' "sporectl image pull (cold)" "$sw" "$(printf '%s\n' "${s_c[@]}" | med)" \
		"$(mib "$rss_s")" "$(size "$sqfs")"
	printf '%-46s %8s %8s %10s %10s\n' "skopeo copy + umoci unpack + mksquashfs" "$pw" "$(printf '%s\n' "${p_c[@]}" | med)" \
		"$(mib "$rss_p")" "$(size "$tmp/pipe.sqfs")"
	printf '%-46s %8s\n' "  skopeo copy" "$(printf '%s\n' "${c_w[@]}" | med)"
	printf '%-46s %8s\n' "  umoci unpack" "$(printf '%s\n' "${u_w[@]}" | med)"
	printf '%-46s %8s\n' "  mksquashfs DIR (zstd 3)" "$(printf '%s\n' "${m_w[@]}" | med)"
	echo "speed-up over the pipeline: ${speedup}x (target >= 4); where spore's last pull spent its time:"
	SPORE_LOG=debug "$sporectl" image pull --root "$tmp/where" -q "$image" 2>&1 |
		grep -E 'fetched in|merged in|finished' | sed 's/^sporectl: debug: /  /'
	rm -rf "$tmp/where"
}
fail=0
load0=$(cut -d' ' -f1 /proc/loadavg)
convert "$base_img" "minbase (one layer)"
[ "$(echo "$speedup >= 4" | bc)" = 1 ] || fail=1
[ "$spore_rss" -le 65536 ] || { echo "peak RSS over 64 MiB"; fail=1; }
convert "$img" "minbase + python3 (three layers)"
[ "$(echo "$speedup >= 4" | bc)" = 1 ] || fail=1
[ "$spore_rss" -le 65536 ] || { echo "peak RSS over 64 MiB"; fail=1; }

# Writers on the same tar (the merged root, as a tar on disk).
tar -C "$tmp/bundle/rootfs" --numeric-owner -cf "$tmp/merged.tar" .
run w_tar2sqfs sh -c "tar2sqfs -q -f -j $(nproc) -c zstd -X level=3 '$tmp/w1.sqfs' <'$tmp/merged.tar'"
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

echo "== writers and warm re-pulls"
printf '%-46s %8s %10s %10s\n' "writer: tar2sqfs -j $(nproc) (zstd 3) < tar" "$(secs w_tar2sqfs)" "$(mib "$(rss w_tar2sqfs)")" "$(size "$tmp/w1.sqfs")"
printf '%-46s %8s %10s %10s\n' "writer: mksquashfs - -tar (zstd 3) < tar" "$(secs w_mksq)" "$(mib "$(rss w_mksq)")" "$(size "$tmp/w2.sqfs")"
printf '%-46s %8s  (CPU %s ms; medians of 5)\n' "warm re-pull, loopback registry (ms)" "$warm_direct_ms" "$warm_cpu_ms"
printf '%-46s %8s  (%s blob requests)\n' "warm re-pull, token front (ms)" "$warm_ms" "$warm_blobs"
echo "load average: $load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end"
[ "$warm_blobs" = 0 ] || { echo "warm re-pull made blob requests"; fail=1; }
[ "$warm_direct_ms" -le 50 ] || { echo "warm re-pull over 50 ms"; fail=1; }
exit $fail
