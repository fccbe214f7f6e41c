#!/bin/bash
# The local OCI registry the tests pull from: Debian's docker-registry on
# 127.0.0.1:5000 with its storage in .cache/registry, and spore's test images
# built offline with umoci and pushed with skopeo (only those it lacks).
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

REG_ADDR=127.0.0.1:5000
REG_DIR=$SPORE_CACHE/registry
REG_CONF=$SPORE_CACHE/registry.yml
REG_PID=$SPORE_CACHE/registry.pid
REG_LOG=$SPORE_CACHE/registry.log
IMG_DIR=$SPORE_CACHE/test-images
# Bump when the images below change, so that a stale registry is refilled.
IMG_VERSION=6

usage() {
	cat <<USAGE
Usage: $spore_prog start|stop|status

  start   Start the registry on $REG_ADDR (if not running) and push the
          spore-test/* images it lacks
  stop    Stop the registry started by 'start'
  status  Exit 0 if the registry answers, 1 if not
USAGE
}

answering() {
	curl -sf -o /dev/null --max-time 2 "http://$REG_ADDR/v2/"
}

our_pid() {
	local pid
	[ -s "$REG_PID" ] || return 1
	pid=$(cat "$REG_PID")
	kill -0 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

start_registry() {
	answering && return 0
	command -v docker-registry >/dev/null || die "docker-registry not found (install the Debian package docker-registry)"
	mkdir -p "$REG_DIR"
	cat >"$REG_CONF" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $REG_DIR
  delete:
    enabled: true
http:
  addr: $REG_ADDR
YML
	setsid docker-registry serve "$REG_CONF" >"$REG_LOG" 2>&1 </dev/null &
	echo $! >"$REG_PID"
	local i
	for i in $(seq 50); do
		answering && return 0
		kill -0 "$(cat "$REG_PID")" 2>/dev/null || break
		sleep 0.2
	done
	die "the registry did not start on $REG_ADDR; see $REG_LOG: $(tail -n 1 "$REG_LOG" 2>/dev/null)"
}

stop_registry() {
	local pid i
	pid=$(our_pid) || { rm -f "$REG_PID"; return 0; }
	kill "$pid"
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || { rm -f "$REG_PID"; return 0; }
		sleep 0.1
	done
	die "registry (pid $pid) did not stop"
}

# has_image NAME:TAG: the registry serves a manifest for it, built by this
# version of the script (recorded as a tag of its own).
has_image() {
	local name=${1%:*} tag=${1##*:}
	local accept="application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json"
	accept+=",application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json"
	curl -sf -o /dev/null -H "Accept: $accept" "http://$REG_ADDR/v2/$name/manifests/$tag" &&
		curl -sf -o /dev/null -H "Accept: $accept" "http://$REG_ADDR/v2/$name/manifests/v$IMG_VERSION"
}

push() { # push LAYOUT:TAG NAME:TAG [skopeo options]
	local src=$1 dst=$2
	shift 2
	run_logged "$IMG_DIR/skopeo.log" skopeo copy -q --dest-tls-verify=false "$@" \
		"oci:$src" "docker://$REG_ADDR/$dst" || die "could not push $dst to $REG_ADDR"
	run_logged "$IMG_DIR/skopeo.log" skopeo copy -q --dest-tls-verify=false "$@" \
		"oci:$src" "docker://$REG_ADDR/${dst%:*}:v$IMG_VERSION" || die "could not push $dst to $REG_ADDR"
}

umoci_q() { run_logged "$IMG_DIR/umoci.log" umoci "$@" || die "umoci $1 failed"; }

# new_image TAG: an empty image in the layout, unpacked into $IMG_DIR/b-TAG.
new_image() {
	umoci_q new --image "$IMG_DIR/oci:$1"
	rm -rf "$IMG_DIR/b-$1"
	umoci_q unpack --image "$IMG_DIR/oci:$1" "$IMG_DIR/b-$1"
}

commit() { # commit TAG: the bundle's changes become a new layer
	umoci_q repack --refresh-bundle --image "$IMG_DIR/oci:$1" "$IMG_DIR/b-$1"
}

# The busybox root filesystem: the static binary and its applet symlinks.
fill_busybox() {
	local r=$1 a
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root}
	chmod 1777 "$r/tmp"
	install -m 0755 /bin/busybox "$r/bin/busybox"
	for a in $(/bin/busybox --list-full); do
		[ "$a" = bin/busybox ] || ln -sf /bin/busybox "$r/$a"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$r/etc/passwd"
	echo 'root:x:0:' >"$r/etc/group"
}

build_busybox() {
	new_image busybox
	fill_busybox "$IMG_DIR/b-busybox/rootfs"
	commit busybox
	umoci_q config --image "$IMG_DIR/oci:busybox" --config.cmd /bin/sh \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin
}

# volume: busybox declaring two VOLUMEs (docker's anonymous volumes), one
# of them over a directory the image fills.
build_volume() {
	new_image volume
	fill_busybox "$IMG_DIR/b-volume/rootfs"
	mkdir -p "$IMG_DIR/b-volume/rootfs/data"
	echo "from the image" >"$IMG_DIR/b-volume/rootfs/data/seed"
	commit volume
	umoci_q config --image "$IMG_DIR/oci:volume" --config.cmd /bin/sh \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		--config.volume /data --config.volume /var/cache/app
}

# app: docker's run semantics to compare against: Entrypoint + Cmd, a named
# non-root user with supplementary groups, a WorkingDir the image lacks, Env.
# Its entrypoint prints what it was given.
# stopsig: busybox whose config sets StopSignal SIGUSR1 (destroy sends it
# first, as docker stop does).
build_stopsig() {
	new_image stopsig
	fill_busybox "$IMG_DIR/b-stopsig/rootfs"
	commit stopsig
	umoci_q config --image "$IMG_DIR/oci:stopsig" --config.cmd /bin/sh \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin --config.stopsignal SIGUSR1
}

build_app() {
	local r=$IMG_DIR/b-app/rootfs
	new_image app
	fill_busybox "$r"
	echo 'app:x:1000:1000:app:/home/app:/bin/sh' >>"$r/etc/passwd"
	printf 'app:x:1000:\nextra:x:2000:app\nmore:x:2001:root,app\nother:x:2002:root\n' >>"$r/etc/group"
	mkdir -p "$r/home/app" "$r/usr/local/bin"
	chown 1000:1000 "$r/home/app"
	cat >"$r/usr/local/bin/show" <<'SH'
#!/bin/sh
printf 'args:'; printf '[%s]' "$@"; echo
echo "id:$(id)"
echo "pwd:$(pwd)"
echo "home:$HOME"
echo "mode:$APP_MODE"
SH
	chmod 0755 "$r/usr/local/bin/show"
	commit app
	umoci_q config --image "$IMG_DIR/oci:app" \
		--config.entrypoint /usr/local/bin/show --config.entrypoint ep-arg \
		--config.cmd cmd1 --config.cmd "cmd 2" \
		--config.user app --config.workingdir /home/app/work \
		--config.env PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --config.env APP_MODE=test
}

# layered: busybox, then layers exercising what a layer merge must get right.
build_layered() {
	local r=$IMG_DIR/b-layered/rootfs
	new_image layered
	fill_busybox "$r"
	commit layered
	# Layer 2: every kind of entry, with owners and modes.
	mkdir -p "$r/data/dir" "$r/data/opq" "$r/data/gonedir/sub"
	echo keep >"$r/data/keep"
	echo gone >"$r/data/gone"
	echo a >"$r/data/dir/a"
	echo old >"$r/data/opq/old"
	echo x >"$r/data/gonedir/sub/x"
	ln "$r/data/keep" "$r/data/hard"
	ln -s keep "$r/data/link"
	ln -s /bin/busybox "$r/data/abslink"
	echo file >"$r/data/flip"
	echo suid >"$r/data/suid" && chmod 4755 "$r/data/suid"
	echo owned >"$r/data/owned" && chown 1000:1001 "$r/data/owned" && chmod 0640 "$r/data/owned"
	mkfifo "$r/data/fifo"
	mknod "$r/data/null" c 1 3 2>/dev/null || true
	setfattr -n user.spore -v test "$r/data/keep" 2>/dev/null || true
	commit layered
	# Layer 3: deletions (whiteouts) and a changed file.
	rm "$r/data/gone"
	rm -r "$r/data/gonedir"
	echo changed >"$r/data/dir/a"
	commit layered
	# Layers 4 and 5: a file replaced by a directory, and back.
	rm "$r/data/flip" && mkdir "$r/data/flip" && echo inner >"$r/data/flip/inner"
	commit layered
	rm -r "$r/data/flip" && echo "file again" >"$r/data/flip"
	commit layered
	# Layer 6, crafted (umoci writes neither): an opaque directory, and a
	# hard link to a lower layer's file.
	python3 - "$IMG_DIR/crafted.tar" <<'PY' || die "crafting a test image with python3 failed (see above)"
import io, sys, tarfile
with tarfile.open(sys.argv[1], "w", format=tarfile.PAX_FORMAT) as tf:
    def add(name, typ=tarfile.REGTYPE, data=b"", link="", mode=0o644):
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname, ti.size, ti.mode, ti.mtime = typ, link, len(data), mode, 1700000000
        tf.addfile(ti, io.BytesIO(data) if data else None)
    add("data/", tarfile.DIRTYPE, mode=0o755)
    add("data/opq/", tarfile.DIRTYPE, mode=0o755)
    add("data/opq/.wh..wh..opq")
    add("data/opq/new", data=b"new\n")
    add("data/xhard", tarfile.LNKTYPE, link="data/keep")
PY
	umoci_q raw add-layer --image "$IMG_DIR/oci:layered" "$IMG_DIR/crafted.tar"
	umoci_q config --image "$IMG_DIR/oci:layered" --config.cmd /bin/sh \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin
}

# evil-*: one hostile layer each, on top of busybox; a pull must refuse them.
build_evil() {
	local kind=$1 t=$IMG_DIR/evil-$1.tar
	python3 - "$kind" "$t" <<'PY' || die "crafting a test image with python3 failed (see above)"
import io, sys, tarfile
kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tf:
    def add(name, typ=tarfile.REGTYPE, data=b"", link=""):
        ti = tarfile.TarInfo(name)
        ti.type, ti.linkname, ti.size, ti.mode = typ, link, len(data), 0o644
        tf.addfile(ti, io.BytesIO(data) if data else None)
    if kind == "dotdot":
        add("../../escaped", data=b"pwned\n")
    elif kind == "symlink":
        add("etc2", tarfile.SYMTYPE, link="../../../../tmp")
        add("etc2/escaped", data=b"pwned\n")
    elif kind == "hardlink":
        add("evil", tarfile.LNKTYPE, link="../../../etc/shadow")
    elif kind == "absolute":
        add("/tmp/escaped", data=b"pwned\n")
PY
	umoci_q new --image "$IMG_DIR/oci:evil-$kind"
	umoci_q raw add-layer --image "$IMG_DIR/oci:evil-$kind" "$t"
}

# multiarch: an index of busybox for linux/amd64 and a fake linux/arm64.
build_multiarch() {
	local d=$IMG_DIR/oci
	umoci_q new --image "$d:arm64"
	umoci_q config --image "$d:arm64" --architecture arm64 --config.cmd /bin/false
	python3 - "$d" <<'PY' || die "crafting a test image with python3 failed (see above)"
import hashlib, json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
refs = {m["annotations"]["org.opencontainers.image.ref.name"]: m for m in idx["manifests"]}
def plat(tag, arch):
    m = dict(refs[tag]); m.pop("annotations", None)
    m["platform"] = {"architecture": arch, "os": "linux"}
    return m
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [plat("arm64", "arm64"), plat("busybox", "amd64")]}).encode()
dig = hashlib.sha256(body).hexdigest()
open(os.path.join(d, "blobs", "sha256", dig), "wb").write(body)
idx["manifests"] = [m for m in idx["manifests"]
                    if m["annotations"]["org.opencontainers.image.ref.name"] != "multiarch"]
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json",
                         "digest": "sha256:" + dig, "size": len(body),
                         "annotations": {"org.opencontainers.image.ref.name": "multiarch"}})
json.dump(idx, open(os.path.join(d, "index.json"), "w"))
PY
}

# craft_from_busybox NAME: a variant of busybox made by the Python on stdin,
# which edits `man` (busybox's manifest; blobs read with blob(), written
# with put()); the edited manifest joins the layout as NAME.
craft_from_busybox() {
	local edit
	edit=$(cat)
	python3 -c "$CRAFT_HEAD$edit$CRAFT_TAIL" "$IMG_DIR/oci" "$1" ||
		die "crafting test image $1 with python3 failed (see above)"
}
CRAFT_HEAD='import gzip, hashlib, json, os, subprocess, sys
d, name = sys.argv[1], sys.argv[2]
idx = json.load(open(os.path.join(d, "index.json")))
blob = lambda dg: os.path.join(d, "blobs", "sha256", dg.split(":")[1])
def put(data):
    dg = hashlib.sha256(data).hexdigest()
    open(os.path.join(d, "blobs", "sha256", dg), "wb").write(data)
    return "sha256:" + dg
ref = [m for m in idx["manifests"] if m["annotations"]["org.opencontainers.image.ref.name"] == "busybox"][0]
man = json.load(open(blob(ref["digest"])))
'
CRAFT_TAIL='
body = json.dumps(man).encode()
idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": put(body), "size": len(body),
                         "annotations": {"org.opencontainers.image.ref.name": name}})
json.dump(idx, open(os.path.join(d, "index.json"), "w"))
'

# busybox-zstd: busybox with its layer recompressed as tar+zstd (umoci only
# writes gzip; skopeo reuses the registry's gzip blob).
build_zstd() {
	craft_from_busybox busybox-zstd <<'PY'
for l in man["layers"]:
    tar = gzip.decompress(open(blob(l["digest"]), "rb").read())
    z = subprocess.run(["zstd", "-q", "-3", "-c"], input=tar, stdout=subprocess.PIPE, check=True).stdout
    l.update(mediaType="application/vnd.oci.image.layer.v1.tar+zstd", digest=put(z), size=len(z))
PY
}

# evil-diffid: busybox whose config names another layer in rootfs.diff_ids
# (the blob matches its digest; its content is not the one the config says).
build_baddiff() {
	craft_from_busybox evil-diffid <<'PY'
cfg = json.load(open(blob(man["config"]["digest"])))
cfg["rootfs"]["diff_ids"][0] = "sha256:" + hashlib.sha256(b"not this layer").hexdigest()
body = json.dumps(cfg).encode()
man["config"].update(digest=put(body), size=len(body))
PY
}

# evil-truncated: busybox's layer cut in half (a gzip stream that ends
# early), announced with the digest and size of the cut blob.
build_truncated() {
	craft_from_busybox evil-truncated <<'PY'
l = man["layers"][0]
cut = open(blob(l["digest"]), "rb").read()
cut = cut[:len(cut) // 2]
l.update(digest=put(cut), size=len(cut))
PY
}

# large: busybox plus a 100 MiB file (zeros after a random MiB: it
# compresses well, but the merge and the squashfs writer see all of it).
build_large() {
	new_image large
	fill_busybox "$IMG_DIR/b-large/rootfs"
	{ head -c 1048576 /dev/urandom; head -c 103809024 /dev/zero; } >"$IMG_DIR/b-large/rootfs/large"
	commit large
}

# corrupt: a one-layer image whose layer blob is altered in the registry's
# storage after the push, keeping its size: a pull must reject the digest.
build_corrupt() {
	new_image corrupt
	head -c 4096 /dev/urandom >"$IMG_DIR/b-corrupt/rootfs/random"
	commit corrupt
}

tamper_corrupt() {
	local dig f
	dig=$(jq -r '.layers[0].digest' "$IMG_DIR/oci/blobs/sha256/$(jq -r \
		'.manifests[] | select(.annotations."org.opencontainers.image.ref.name"=="corrupt") | .digest' \
		"$IMG_DIR/oci/index.json" | cut -d: -f2)")
	f=$REG_DIR/docker/registry/v2/blobs/sha256/${dig:7:2}/${dig#sha256:}/data
	[ -f "$f" ] || die "cannot find the corrupt image's layer in $REG_DIR"
	printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc status=none
}

push_images() {
	local want="spore-test/busybox:latest spore-test/app:latest spore-test/busybox-v2s2:latest spore-test/busybox-zstd:latest
		spore-test/large:latest spore-test/layered:latest
		spore-test/multiarch:latest spore-test/corrupt:latest spore-test/evil-dotdot:latest
		spore-test/evil-symlink:latest spore-test/evil-hardlink:latest spore-test/evil-diffid:latest
		spore-test/evil-absolute:latest spore-test/evil-truncated:latest
		spore-test/stopsig:latest spore-test/volume:latest" i missing=
	for i in $want; do has_image "$i" || missing+=" $i"; done
	[ -n "$missing" ] || return 0
	command -v umoci >/dev/null || die "umoci not found (install the Debian package umoci)"
	command -v skopeo >/dev/null || die "skopeo not found (install the Debian package skopeo)"
	[ -x /bin/busybox ] || die "/bin/busybox not found (install the Debian package busybox-static)"
	rm -rf "$IMG_DIR" && mkdir -p "$IMG_DIR"
	umoci_q init --layout "$IMG_DIR/oci"
	build_busybox
	build_app
	build_stopsig
	build_layered
	build_multiarch
	build_zstd
	build_baddiff
	build_truncated
	build_corrupt
	build_large
	build_volume
	local k
	for k in dotdot symlink hardlink absolute; do build_evil $k; done
	for i in $missing; do
		case $i in
		spore-test/busybox-v2s2:*) push "$IMG_DIR/oci:busybox" "$i" --format v2s2 ;;
		spore-test/busybox-zstd:*) push "$IMG_DIR/oci:busybox-zstd" "$i" ;;
		spore-test/multiarch:*) push "$IMG_DIR/oci:multiarch" "$i" --all ;;
		spore-test/corrupt:*) push "$IMG_DIR/oci:corrupt" "$i" && tamper_corrupt ;;
		*) local n=${i#spore-test/}; push "$IMG_DIR/oci:${n%:*}" "$i" ;;
		esac
	done
}

# redis: Debian's redis-server and redis-cli with the libraries they load,
# unpacked from Debian's .debs (no maintainer scripts), over busybox (the
# shell the tests script them with); docs, man pages and locales dropped.
# Its own image, built apart from the others and only when missing: the
# .debs come from Debian's archive (apt-get download, kept in
# $SPORE_CACHE/redis-debs), which a machine without it may not reach; the
# e2e test that uses it skips when it is absent.
REDIS_DEBS="redis-server redis-tools libc6 libgcc-s1 libstdc++6 libatomic1 libjemalloc2 liblzf1
	libssl3 libsystemd0 libcap2 libgcrypt20 libgpg-error0 liblz4-1 liblzma5 libzstd1"
build_redis() {
	local debdir=$SPORE_CACHE/redis-debs r=$IMG_DIR/b-redis/rootfs uris f lib missing=() want=()
	mkdir -p "$debdir" "$IMG_DIR"
	# shellcheck disable=SC2086
	uris=$(apt-get download --print-uris $REDIS_DEBS 2>"$debdir/fetch.log") || {
		note "cannot resolve redis's Debian packages: $(tail -n 1 "$debdir/fetch.log")"
		return 1
	}
	while read -r _ f _; do
		[ -n "$f" ] || continue
		want+=("$f")
		[ -s "$debdir/$f" ] || missing+=("${f%%_*}=$(echo "$f" | cut -d_ -f2 | sed 's/%3a/:/')")
	done <<<"$uris"
	if [ ${#missing[@]} -gt 0 ]; then
		note "downloading ${#missing[@]} Debian packages for the redis test image"
		(cd "$debdir" && run_logged "$debdir/fetch.log" apt-get download "${missing[@]}") || return 1
	fi
	[ -d "$IMG_DIR/oci" ] || umoci_q init --layout "$IMG_DIR/oci"
	new_image redis
	fill_busybox "$r"
	for f in "${want[@]}"; do dpkg -x "$debdir/$f" "$r" || return 1; done
	rm -rf "$r"/usr/share/{doc,man,info,locale,lintian,bash-completion} "$r"/usr/lib/x86_64-linux-gnu/gconv
	mkdir -p "$r/var/lib/redis"
	# Every library a program needs is in the image (a package list that
	# misses one would fail in the guest, far from here).
	for f in "$r"/usr/bin/redis-* $(find "$r"/lib "$r"/usr/lib -name '*.so*' -type f); do
		for lib in $(readelf -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			[ -e "$r/lib/x86_64-linux-gnu/$lib" ] || [ -e "$r/usr/lib/x86_64-linux-gnu/$lib" ] ||
				{ note "redis image: $f needs $lib, which no package in the list holds"; return 1; }
		done
	done
	commit redis
	umoci_q config --image "$IMG_DIR/oci:redis" \
		--config.cmd redis-server --config.cmd --dir --config.cmd /var/lib/redis \
		--config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin
	rm -rf "$IMG_DIR/b-redis"
}

push_redis() {
	has_image spore-test/redis:latest && return 0
	build_redis || { note "the redis test image was not built (its e2e test will skip)"; return 0; }
	push "$IMG_DIR/oci:redis" spore-test/redis:latest
}

case ${1:-} in
start)
	start_registry
	push_images
	push_redis
	;;
stop) stop_registry ;;
status) answering || exit 1 ;;
-h | --help) usage ;;
*) usage >&2; exit 2 ;;
esac
