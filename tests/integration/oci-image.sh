#!/bin/bash
# `sporectl image` against the local test registry (scripts/test-registry.sh),
# as a user sees it: pulls, the squashfs content compared with `umoci unpack`
# of the same image, hostile and tampered images refused with a clear error
# and a clean cache, list/rm/prune. Prints TAP.
#
# SPORECTL overrides the binary (default: build-san's, else build's).
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
reg=127.0.0.1:5000
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
diag() { sed 's/^/#   /'; }

sporectl=${SPORECTL:-}
for b in build-san build; do
	[ -n "$sporectl" ] || [ ! -x "$root/$b/controller/sporectl" ] || sporectl=$root/$b/controller/sporectl
done
if [ -z "$sporectl" ]; then
	echo "1..0 # SKIP sporectl is not built"
	exit 0
fi
sporectl=$(realpath "$sporectl")
tmp=$(mktemp -d)
mocks=()
trap 'for p in "${mocks[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT
cache=$tmp/root
sc() { "$sporectl" image "$1" --root "$cache" "${@:2}"; }

"$root/scripts/test-registry.sh" start >"$tmp/reg.log" 2>&1
rc=$?
ok $rc "the test registry runs on $reg"
if [ $rc != 0 ]; then
	diag <"$tmp/reg.log"
	echo "1..$n"
	exit 1
fi

# tree DIR: one line per path: type, mode, owner, links, target or content hash.
tree() {
	python3 - "$1" <<'PY'
import hashlib, os, stat, sys
top = sys.argv[1]
for d, dirs, files in os.walk(top):
    dirs.sort()
    for name in sorted(dirs + files):
        p = os.path.join(d, name)
        st = os.lstat(p)
        m = st.st_mode
        extra = ""
        if stat.S_ISLNK(m):
            extra = "-> " + os.readlink(p)
        elif stat.S_ISREG(m):
            extra = "links=%d sha256=%s" % (st.st_nlink, hashlib.sha256(open(p, "rb").read()).hexdigest())
        elif stat.S_ISCHR(m) or stat.S_ISBLK(m):
            extra = "dev=%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        print("%s %s %o %d:%d %s" % (os.path.relpath(p, top), stat.filemode(m)[0], stat.S_IMODE(m),
                                     st.st_uid, st.st_gid, extra))
PY
}

# same_as_umoci NAME DIGEST [UMOCI_NAME]: the cached squashfs of DIGEST
# equals umoci's unpack of the registry's NAME (or UMOCI_NAME: umoci cannot
# read zstd layers). Differences go to $tmp/diag.
same_as_umoci() {
	local name=${3:-$1} digest=$2 w=$tmp/cmp-$1
	mkdir -p "$w"
	: >"$tmp/diag"
	skopeo copy -q --src-tls-verify=false "docker://$reg/spore-test/$name:latest" "oci:$w/oci:x" >"$w/log" 2>&1 &&
		umoci unpack --image "$w/oci:x" "$w/bundle" >>"$w/log" 2>&1 &&
		unsquashfs -q -n -d "$w/sqfs" "$cache/images/rootfs/${digest#sha256:}.sqfs" >>"$w/log" 2>&1 || {
		cp "$w/log" "$tmp/diag"
		return 1
	}
	tree "$w/bundle/rootfs" >"$w/want"
	tree "$w/sqfs" >"$w/got"
	diff -u "$w/want" "$w/got" >"$w/diff" || { head -n 30 "$w/diff" >"$tmp/diag"; return 1; }
}

# check_umoci DESC NAME DIGEST [UMOCI_NAME]: a TAP line for same_as_umoci.
check_umoci() {
	local desc=$1
	shift
	same_as_umoci "$@"
	ok $? "$desc"
	diag <"$tmp/diag"
}

# --- a plain pull
sc pull "$reg/spore-test/busybox" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $rc "pull spore-test/busybox succeeds"
bb=$(tail -n 1 "$tmp/out")
ok $(grep -qE '^sha256:[0-9a-f]{64}$' <<<"$bb"; echo $?) "pull prints the manifest digest ($bb)"
ok $(grep -q 'layer 1/1' "$tmp/err"; echo $?) "pull reports its steps on stderr"
sc list >"$tmp/list"
ok $(grep -q "^$reg/spore-test/busybox:latest  *${bb:0:19}" "$tmp/list"; echo $?) "list shows the image and its digest"
sqfs=$cache/images/rootfs/${bb#sha256:}.sqfs
unsquashfs -lls "$sqfs" >"$tmp/lls" 2>&1
ok $(grep -qE '^-rwxr-xr-x root/root .* squashfs-root/bin/busybox$' "$tmp/lls"; echo $?) "the squashfs has /bin/busybox"
ok $(grep -qE '^l.* squashfs-root/bin/sh -> /bin/busybox$' "$tmp/lls"; echo $?) "the squashfs has /bin/sh -> /bin/busybox"
check_umoci "busybox: squashfs content equals umoci unpack" busybox "$bb"
sc path "$reg/spore-test/busybox" >"$tmp/path"
ok $(grep -qx "rootfs $sqfs" "$tmp/path" && [ -s "$(awk '/^config/ {print $2}' "$tmp/path")" ]; echo $?) "path names the squashfs and the config"

sc inspect "$reg/spore-test/busybox" >"$tmp/inspect"
ok $(grep -qx "rootfs $sqfs" "$tmp/inspect" && grep -qx 'cmd /bin/sh' "$tmp/inspect" &&
	grep -qx 'env PATH=/usr/sbin:/usr/bin:/sbin:/bin' "$tmp/inspect"; echo $?) "inspect shows the squashfs, Cmd and Env a launch uses"

# --- warm re-pull: the manifest only
ino=$(stat -c %i "$sqfs")
start=$(date +%s%N)
sc pull "$reg/spore-test/busybox" >"$tmp/out" 2>"$tmp/err"
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
ok $([ $rc = 0 ] && grep -q 'up to date' "$tmp/err" && [ "$(stat -c %i "$sqfs")" = "$ino" ]; echo $?) \
	"a re-pull finds the image up to date and rebuilds nothing (${ms} ms)"

# --- layers, whiteouts, opaque dirs, metadata
sc pull -q "$reg/spore-test/layered" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $rc "pull spore-test/layered (4 layers) succeeds"
[ $rc = 0 ] || diag <"$tmp/err"
ly=$(tail -n 1 "$tmp/out")
unsquashfs -lln "$cache/images/rootfs/${ly#sha256:}.sqfs" >"$tmp/lls" 2>&1
has() { grep -qE "$1" "$tmp/lls"; }
ok $(! has 'squashfs-root/data/gone$' && ! has 'squashfs-root/data/gonedir'; echo $?) "whited-out file and directory are gone"
ok $(has 'squashfs-root/data/opq/new$' && ! has 'squashfs-root/data/opq/old$'; echo $?) "an opaque directory hides the lower layer's files"
ok $(has '^-rwsr-xr-x 0/0 .* squashfs-root/data/suid$'; echo $?) "the setuid bit is kept"
ok $(has '^-rw-r----- 1000/1001 .* squashfs-root/data/owned$'; echo $?) "owners are kept (1000:1001)"
ok $(has '^crw-r--r-- 0/0 +1, +3 .* squashfs-root/data/null$'; echo $?) "the device node is kept (char 1,3)"
ok $(has '^prw-r--r-- .* squashfs-root/data/fifo$'; echo $?) "the FIFO is kept"
ok $(has '^l.* squashfs-root/data/link -> keep$'; echo $?) "the symlink is kept"
ok $(has '^-.* squashfs-root/data/flip$' && ! has 'squashfs-root/data/flip/inner'; echo $?) "a file replaced by a directory and back is a file"
check_umoci "layered: squashfs content (incl. hard links across layers) equals umoci unpack" layered "$ly"

# --- progress: a line per layer on a terminal, a line per step elsewhere
# (the plain build's: build-san's ptyrun reports its own leaks in the output)
ptyrun=$root/build/tests/ptyrun
[ -x "$ptyrun" ] || ptyrun=$(dirname "$sporectl")/../tests/ptyrun
# screen FILE: what a terminal shows after FILE's output (\r, ESC[K, ESC[nA).
screen() {
	python3 - "$1" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode(errors="replace")
lines, row, i = [""], 0, 0
while i < len(data):
    m = re.match(r"\x1b\[(\d*)([AK])", data[i:])
    if m:
        if m.group(2) == "A":
            row = max(0, row - int(m.group(1) or 1))
        else:
            lines[row] = ""
        i += len(m.group(0))
        continue
    c = data[i]
    i += 1
    if c == "\r":
        continue
    if c == "\n":
        row += 1
        if row == len(lines):
            lines.append("")
        continue
    lines[row] += c
print("\n".join(lines))
PY
}
"$sporectl" image pull --root "$tmp/notty" "$reg/spore-test/layered" >/dev/null 2>"$tmp/notty.err"
ok $([ "$(grep -cE '^layer [1-6]/6 sha256:[0-9a-f]{12}: fetching [0-9.]+ (B|KiB|MiB)$' "$tmp/notty.err")" = 6 ] &&
	! grep -q $'\033' "$tmp/notty.err"; echo $?) "off a terminal, one plain line per step (no escape sequences)"
if [ -x "$ptyrun" ]; then
	"$ptyrun" -- "$sporectl" image pull --root "$tmp/tty" "$reg/spore-test/layered" >"$tmp/pty" 2>&1
	rc=$?
	screen "$tmp/pty" >"$tmp/screen"
	[ $rc = 0 ] && [ "$(grep -cE '^layer [1-6]/6 [0-9a-f]{12} \[#+\] [0-9.]+ (B|KiB|MiB) / [0-9.]+ (B|KiB|MiB)  [0-9.]+ (B|KiB|MiB)/s  done$' "$tmp/screen")" = 6 ] &&
		! grep -q ': fetching' "$tmp/screen"
	rc=$?
	ok $rc "on a terminal, one progress line per layer with a bar, bytes and rate"
	[ $rc = 0 ] || diag <"$tmp/screen"
	"$sporectl" image rm --root "$tmp/tty" "$reg/spore-test/layered" >/dev/null 2>&1
	"$ptyrun" -- "$sporectl" image pull --root "$tmp/tty" "$reg/spore-test/layered" >"$tmp/pty" 2>&1
	screen "$tmp/pty" >"$tmp/screen"
	ok $([ "$(grep -cE '^layer [1-6]/6 [0-9a-f]{12} cached \([0-9.]+ (B|KiB|MiB)\)$' "$tmp/screen")" = 6 ]; echo $?) \
		"layers already in the cache show as cached"
	"$sporectl" image rm --root "$tmp/tty" "$reg/spore-test/layered" >/dev/null 2>&1
	"$ptyrun" -- "$sporectl" image pull --root "$tmp/tty" --quiet "$reg/spore-test/layered" >"$tmp/pty" 2>&1
	ok $([ "$(screen "$tmp/pty" | grep -v '^$')" = "$ly" ]; echo $?) "--quiet on a terminal prints the digest only"
else
	ok 1 "ptyrun is built next to sporectl ($ptyrun)"
fi

# --- other manifest forms
sc pull -q "$reg/spore-test/busybox-v2s2" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $rc "pull a Docker v2s2 manifest"
check_umoci "busybox-v2s2: squashfs content equals umoci unpack" busybox-v2s2 "$(tail -n 1 "$tmp/out")"
sc pull -q "$reg/spore-test/busybox-zstd" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $rc "pull an image with a tar+zstd layer"
[ $rc = 0 ] || diag <"$tmp/err"
check_umoci "busybox-zstd: squashfs content equals umoci unpack of the gzip original" busybox-zstd "$(tail -n 1 "$tmp/out")" busybox
/usr/bin/time -f '%e s, %M KiB' -o "$tmp/time" "$sporectl" image pull --root "$cache" -q "$reg/spore-test/large" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $rc "pull an image with a 100 MiB file ($(cat "$tmp/time" 2>/dev/null))"
[ $rc = 0 ] || diag <"$tmp/err"
check_umoci "large: squashfs content equals umoci unpack" large "$(tail -n 1 "$tmp/out")"
sc pull -q "$reg/spore-test/multiarch" >"$tmp/out" 2>"$tmp/err"
ok $([ "$(tail -n 1 "$tmp/out")" = "$bb" ]; echo $?) "an index resolves to its linux/amd64 image (busybox's digest)"
sc pull -q "$reg/spore-test/multiarch" --platform linux/s390x >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 1 ] && grep -q 'has no linux/s390x image (it has: linux/arm64, linux/amd64)' "$tmp/err"; echo $?) \
	"an index without the platform says which it has"
sc pull -q "$reg/spore-test/busybox@$bb" >"$tmp/out" 2>"$tmp/err"
ok $([ "$(tail -n 1 "$tmp/out")" = "$bb" ] && sc list -q | grep -qx "$reg/spore-test/busybox@$bb"; echo $?) \
	"a digest-pinned reference pulls that manifest"
skopeo copy -q --src-tls-verify=false "docker://$reg/spore-test/layered:latest" "oci:$tmp/layout:v1" >/dev/null 2>&1
sc pull -q "oci:$tmp/layout:v1" >"$tmp/out" 2>"$tmp/err"
ok $([ "$(tail -n 1 "$tmp/out")" = "$ly" ]; echo $?) "an OCI layout directory pulls to the same image"
(cd "$tmp" && "$sporectl" image pull --root "$cache" -q oci:layout:v1 >/dev/null 2>&1)
ok $([ "$(sc list -q | grep -c "^oci:$tmp/layout:v1$")" = 1 ] && ! sc list -q | grep -qx 'oci:layout:v1'; echo $?) \
	"a relative layout path is recorded as its absolute path (one record)"

skopeo copy -q --src-tls-verify=false "docker://$reg/spore-test/layered:latest" \
	"docker-archive:$tmp/saved.tar:spore-test/layered:latest" >/dev/null 2>&1
sc pull -q "docker-archive:$tmp/saved.tar" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $rc "a docker-archive (docker save) tarball pulls"
[ $rc = 0 ] || diag <"$tmp/err"
check_umoci "docker-archive: squashfs content equals umoci unpack of the registry image" archive "$(tail -n 1 "$tmp/out")" layered
ok $([ -z "$(ls -A "$cache/images/tmp")" ]; echo $?) "the docker-archive's temporary layout is removed"
# Older docker saves symlink a repeated layer's layer.tar to another entry,
# which may come first in the archive (the fuzz seed is such a save).
sc pull -q "docker-archive:$root/tests/fuzz/corpus/fuzz_docker_archive/legacy-symlink.tar" >"$tmp/out" 2>"$tmp/err"
ok $? "a docker-archive whose layer symlinks to an entry read before it pulls: $(cat "$tmp/err")"

# --- refusals: nothing left behind
clean() { [ -z "$(ls -A "$cache/images/tmp")" ] && [ ! -e "$cache/images/rootfs/$1.sqfs" ]; }
rootfs_before=$(ls "$cache/images/rootfs" | wc -l)
sc pull -q "$reg/spore-test/corrupt" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 1 ] && grep -q 'corrupt or tampered' "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ]; echo $?) \
	"a tampered layer is refused with one clear line: $(cat "$tmp/err")"
ok $([ -z "$(ls -A "$cache/images/tmp")" ] && [ "$(ls "$cache/images/rootfs" | wc -l)" = "$rootfs_before" ] &&
	! sc list -q | grep -q corrupt; echo $?) "the tampered pull leaves no cache file and no record"
sc pull -q "$reg/spore-test/evil-diffid" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 1 ] && grep -q 'layer 1: its uncompressed content has digest sha256:[0-9a-f]*, not the sha256:' "$tmp/err" &&
	[ "$(wc -l <"$tmp/err")" = 1 ]; echo $?) "a layer that is not the config's diff_id is refused: $(cat "$tmp/err")"
ok $([ -z "$(ls -A "$cache/images/tmp")" ] && [ "$(ls "$cache/images/rootfs" | wc -l)" = "$rootfs_before" ] &&
	! sc list -q | grep -q evil-diffid; echo $?) "the diff_id mismatch leaves no squashfs and no record"
for kind in dotdot symlink hardlink absolute truncated; do
	sc pull -q "$reg/spore-test/evil-$kind" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ok $([ $rc = 1 ] && grep -qE "layer 1: .*(\.\.|not a directory|outside the image|absolute|corrupt or truncated)" "$tmp/err" &&
		[ "$(wc -l <"$tmp/err")" = 1 ]; echo $?) \
		"evil-$kind is refused: $(cat "$tmp/err")"
done
# A layer that unpacks past the cap (spore-test/large: 1 MiB of gzip, 100 MiB of tar).
"$sporectl" image pull --root "$tmp/bomb" -q --max-size 50M "$reg/spore-test/large" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 1 ] && grep -q 'layer 1: the image unpacks to more than 52428800 bytes' "$tmp/err" &&
	[ "$(wc -l <"$tmp/err")" = 1 ] && [ -z "$(find "$tmp/bomb/images/"{tmp,rootfs,refs} -mindepth 1)" ]; echo $?) \
	"a layer unpacking past --max-size is refused, nothing cached: $(cat "$tmp/err")"
ok $([ -z "$(ls -A "$cache/images/tmp")" ] && [ "$(ls "$cache/images/rootfs" | wc -l)" = "$rootfs_before" ] &&
	[ ! -e "$cache/escaped" ] && [ ! -e "$cache/images/escaped" ] && [ ! -e /tmp/escaped ]; echo $?) \
	"hostile pulls leave no files, inside or outside the cache"
sc pull -q "$reg/spore-test/nonexistent" >"$tmp/out" 2>"$tmp/err"
ok $(grep -q 'not found' "$tmp/err"; echo $?) "a missing image: $(cat "$tmp/err")"
"$sporectl" image pull --root "$cache" -q 'Bad/Name' >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 1 ] && grep -q 'invalid reference' "$tmp/err"; echo $?) "a bad reference: $(cat "$tmp/err")"

# --- token auth (tests/integration/auth-registry.py in front of the registry)
# start_mock NAME [--user U:P]: sets mock_port and mock_log.
start_mock() {
	local name=$1
	shift
	mock_log=$tmp/$name.log
	python3 "$root/tests/integration/auth-registry.py" --upstream "$reg" --ports-file "$tmp/$name.ports" \
		--log "$mock_log" "$@" 2>"$tmp/$name.err" &
	mocks+=($!)
	for _ in $(seq 50); do [ -s "$tmp/$name.ports" ] && break; sleep 0.1; done
	mock_port=$(cut -d' ' -f1 "$tmp/$name.ports" 2>/dev/null)
}
start_mock anon
"$sporectl" image pull --root "$tmp/auth1" -q "127.0.0.1:$mock_port/spore-test/layered" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 0 ] && [ "$(tail -n 1 "$tmp/out")" = "$ly" ]; echo $?) "pull through a Bearer-token registry (anonymous token)"
[ $rc = 0 ] || diag <"$tmp/err"
ok $(grep -q '^token .*scope=repository%3Aspore-test%2Flayered%3Apull' "$mock_log" &&
	grep -q '^registry /v2/spore-test/layered/manifests/latest auth=Bearer' "$mock_log"; echo $?) \
	"the token is fetched for the challenge's scope and sent as Bearer"
ok $(grep -q '^cdn /v2/spore-test/layered/blobs/' "$mock_log" && ! grep '^cdn ' "$mock_log" | grep -qv ' auth=- '; echo $?) \
	"blobs follow the redirect, and Authorization is not sent to the other host"
start_mock basic --user spore:s3cret
"$sporectl" image pull --root "$tmp/auth2" -q "127.0.0.1:$mock_port/spore-test/busybox" >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 1 ] && grep -q 'getting a token .*HTTP 401: UNAUTHORIZED: bad credentials' "$tmp/err"; echo $?) \
	"without credentials the token is refused: $(cat "$tmp/err")"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$mock_port" "$(printf spore:s3cret | base64)" >"$tmp/auth.json"
REGISTRY_AUTH_FILE=$tmp/auth.json "$sporectl" image pull --root "$tmp/auth2" -q "127.0.0.1:$mock_port/spore-test/busybox" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 0 ] && [ "$(tail -n 1 "$tmp/out")" = "$bb" ] && grep -q '^token .*basic=yes' "$mock_log"; echo $?) \
	"with credentials in the auth file the pull succeeds"
[ $rc = 0 ] || diag <"$tmp/err"

start_mock htpasswd --basic spore:s3cret
"$sporectl" image pull --root "$tmp/auth3" -q "127.0.0.1:$mock_port/spore-test/busybox" >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 1 ] && grep -q 'requires a login; add credentials' "$tmp/err"; echo $?) \
	"a Basic-auth registry without credentials: $(cat "$tmp/err")"
printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}\n' "$mock_port" "$(printf spore:s3cret | base64)" >"$tmp/auth.json"
REGISTRY_AUTH_FILE=$tmp/auth.json "$sporectl" image pull --root "$tmp/auth3" -q "127.0.0.1:$mock_port/spore-test/busybox" \
	>"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 0 ] && [ "$(tail -n 1 "$tmp/out")" = "$bb" ] && grep -q 'auth=Basic' "$mock_log"; echo $?) \
	"a Basic-auth registry with credentials in the auth file"
[ $rc = 0 ] || diag <"$tmp/err"

# --- a real docker-registry with htpasswd (bcrypt) auth over TLS, with a CA
# made here; it serves the test registry's storage read-only. The CA is
# trusted through a certs.d directory (SPORE_CERTS_DIR instead of
# /etc/spore/certs.d), credentials come from the user's auth files.
tls=$tmp/tls
mkdir -p "$tls"
tls_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
treg=127.0.0.1:$tls_port
(
	cd "$tls" &&
		openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 -subj "/CN=spore test CA" &&
		openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=127.0.0.1" &&
		printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext &&
		openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out srv.crt -days 2 -extfile ext &&
		htpasswd -Bbc htpasswd spore s3cret
) >"$tls/setup.log" 2>&1
rc=$?
cat >"$tls/reg.yml" <<YML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${SPORE_CACHE:-$root/.cache}/registry
  maintenance:
    readonly:
      enabled: true
http:
  addr: $treg
  tls:
    certificate: $tls/srv.crt
    key: $tls/srv.key
auth:
  htpasswd:
    realm: spore-test
    path: $tls/htpasswd
YML
if [ $rc = 0 ]; then
	setsid docker-registry serve "$tls/reg.yml" >"$tls/reg.log" 2>&1 </dev/null &
	mocks+=($!)
	for _ in $(seq 50); do
		curl -s -o /dev/null --cacert "$tls/ca.crt" "https://$treg/v2/" && break
		sleep 0.1
	done
	curl -sf -o /dev/null --cacert "$tls/ca.crt" -u spore:s3cret "https://$treg/v2/"
	rc=$?
fi
ok $rc "docker-registry with htpasswd -B credentials over TLS (CA made by openssl) runs on $treg"
[ $rc = 0 ] || diag <"$tls/setup.log"
[ $rc = 0 ] || diag <"$tls/reg.log"
mkdir -p "$tls/certs.d/$treg" "$tls/nocerts.d" "$tls/h-none" "$tls/h-wrong/.docker" "$tls/h-right/.config/containers"
cp "$tls/ca.crt" "$tls/certs.d/$treg/ca.crt"
printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$treg" "$(printf spore:wrong | base64)" >"$tls/h-wrong/.docker/config.json"
printf '{"auths":{"https://%s":{"auth":"%s"}}}\n' "$treg" "$(printf spore:s3cret | base64)" \
	>"$tls/h-right/.config/containers/auth.json"
# tpull HOME CERTS_DIR ARGS...: a pull from the TLS registry into $tmp/tls-root.
tpull() {
	local home=$1 certs=$2
	shift 2
	env -u REGISTRY_AUTH_FILE -u XDG_RUNTIME_DIR -u XDG_CONFIG_HOME HOME="$home" SPORE_CERTS_DIR="$certs" \
		"$sporectl" image pull --root "$tmp/tls-root" "$@" >"$tmp/out" 2>"$tmp/err"
}
one_line() { [ "$(wc -l <"$tmp/err")" = 1 ]; }
tpull "$tls/h-right" "$tls/nocerts.d" -q "$treg/spore-test/busybox"
ok $([ $? = 1 ] && one_line && grep -q "HTTP 400; it speaks HTTPS: put its CA in $tls/nocerts.d/$treg/ca.crt" "$tmp/err"; echo $?) \
	"a loopback TLS registry without a certs.d entry: $(cat "$tmp/err")"
mkdir -p "$tls/untrusted.d/$treg" && openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tls/other.key" \
	-out "$tls/untrusted.d/$treg/ca.crt" -days 2 -subj "/CN=other CA" >/dev/null 2>&1
tpull "$tls/h-right" "$tls/untrusted.d" -q "$treg/spore-test/busybox"
ok $([ $? = 1 ] && one_line && grep -q "certificate .*not OK (with the CAs of $tls/untrusted.d/$treg)" "$tmp/err"; echo $?) \
	"a certificate from another CA is refused: $(cat "$tmp/err")"
tpull "$tls/h-none" "$tls/certs.d" -q "$treg/spore-test/busybox"
ok $([ $? = 1 ] && one_line && grep -q "$treg requires a login; add credentials for it to ~/.docker/config.json" "$tmp/err"; echo $?) \
	"TLS + htpasswd, no credentials: $(cat "$tmp/err")"
tpull "$tls/h-wrong" "$tls/certs.d" -q "$treg/spore-test/busybox"
ok $([ $? = 1 ] && one_line &&
	grep -q "$treg: the registry refused the credentials from $tls/h-wrong/.docker/config.json (HTTP 401" "$tmp/err"; echo $?) \
	"TLS + htpasswd, wrong password in ~/.docker/config.json: $(cat "$tmp/err")"
ok $([ -z "$(ls -A "$tmp/tls-root/images/tmp")" ] && [ -z "$(ls -A "$tmp/tls-root/images/rootfs")" ]; echo $?) \
	"refused TLS pulls leave nothing in the cache"
tpull "$tls/h-right" "$tls/certs.d" -q "$treg/spore-test/layered"
rc=$?
ok $([ $rc = 0 ] && [ "$(tail -n 1 "$tmp/out")" = "$ly" ]; echo $?) \
	"TLS + htpasswd with credentials in containers' auth.json: pulled, same image as over HTTP"
[ $rc = 0 ] || diag <"$tmp/err"

start_mock hostile --throttle-once
start=$(date +%s)
"$sporectl" image pull --root "$tmp/auth4" -q "127.0.0.1:$mock_port/spore-test/busybox" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 0 ] && [ "$(tail -n 1 "$tmp/out")" = "$bb" ] && [ $(($(date +%s) - start)) -ge 1 ]; echo $?) \
	"a 429 is retried after the registry's Retry-After"
[ $rc = 0 ] || diag <"$tmp/err"
for t in "huge:over the 4194304-byte limit" "dupkeys:duplicate" "liar:larger than the" \
	"short:layer 1/1: blob sha256:[0-9a-f]* from 127.0.0.1:$mock_port: got [0-9]* bytes, want" \
	"fakedigest:the manifest's digest is sha256:[0-9a-f]*, not the sha256:0000* the registry promised" \
	"badindex:manifest sha256:[0-9a-f]* is [0-9]* bytes, the index says"; do
	name=${t%%:*} want=${t#*:}
	"$sporectl" image pull --root "$tmp/auth5" -q "127.0.0.1:$mock_port/spore-test/$name" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ok $([ $rc = 1 ] && grep -q "$want" "$tmp/err" && [ "$(wc -l <"$tmp/err")" = 1 ]; echo $?) \
		"hostile registry reply ($name) refused: $(cat "$tmp/err")"
done
# A digest-pinned pull answered with another manifest.
"$sporectl" image pull --root "$tmp/auth5" -q "127.0.0.1:$mock_port/spore-test/swap@$bb" >"$tmp/out" 2>"$tmp/err"
ok $([ $? = 1 ] && grep -q "the manifest's digest is $ly, not the $bb the registry promised" "$tmp/err" &&
	[ "$(wc -l <"$tmp/err")" = 1 ]; echo $?) "hostile registry reply (another manifest for a pinned digest) refused: $(cat "$tmp/err")"
ok $([ -z "$(ls -A "$tmp/auth5/images/tmp")" ] && [ -z "$(ls -A "$tmp/auth5/images/rootfs")" ] &&
	! "$sporectl" image list --root "$tmp/auth5" -q | grep -qE 'huge|dupkeys|liar|short|fakedigest|badindex|swap'; echo $?) \
	"hostile replies leave no temp files and no records"

# --- a download that breaks is resumed with Range
start_mock cut --cut-once
"$sporectl" image pull --root "$tmp/auth6" -q "127.0.0.1:$mock_port/spore-test/large" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 1 ] && grep -q 'partial file' "$tmp/err" && ls "$tmp/auth6/images/tmp" | grep -q '^partial-'; echo $?) \
	"a broken download fails and keeps what arrived: $(cat "$tmp/err")"
"$sporectl" image pull --root "$tmp/auth6" "127.0.0.1:$mock_port/spore-test/large" >"$tmp/out" 2>"$tmp/err"
rc=$?
ok $([ $rc = 0 ] && grep -q 'resuming at' "$tmp/err" && grep -qE '^cdn .* range=bytes=[1-9][0-9]*-$' "$mock_log" &&
	[ -z "$(ls -A "$tmp/auth6/images/tmp")" ]; echo $?) "the next pull resumes it with a Range request"
[ $rc = 0 ] || diag <"$tmp/err"
large=$(tail -n 1 "$tmp/out")
check_umoci "the resumed image's squashfs equals umoci unpack" resumed "$large" large
# A registry that stalls mid-blob, or trickles (4 bytes/s): given up after
# $SPORE_REGISTRY_TIMEOUT seconds under 1 KiB/s, what arrived kept to resume.
start_mock slow
for kind in stall trickle; do
	start=$(date +%s)
	SPORE_REGISTRY_TIMEOUT=2 "$sporectl" image pull --root "$tmp/slow-$kind" -q "127.0.0.1:$mock_port/spore-test/$kind" \
		>"$tmp/out" 2>"$tmp/err"
	rc=$?
	ok $([ $rc = 1 ] && one_line && grep -q 'the registry sent less than 1024 bytes/s for 2 s (stalled or trickling' "$tmp/err" &&
		[ -z "$(find "$tmp/slow-$kind/images/"{rootfs,refs} -mindepth 1)" ]; echo $?) \
		"a registry that ${kind}s is given up ($(($(date +%s) - start)) s): $(cat "$tmp/err")"
done

# --- two pulls of one image at once
"$sporectl" image pull --root "$tmp/conc" -q "$reg/spore-test/layered" >"$tmp/c1" 2>&1 &
p1=$!
"$sporectl" image pull --root "$tmp/conc" -q "$reg/spore-test/layered" >"$tmp/c2" 2>&1
r2=$?
wait $p1
r1=$?
ok $([ $r1 = 0 ] && [ $r2 = 0 ] && [ "$(tail -n 1 "$tmp/c1")" = "$ly" ] && [ "$(tail -n 1 "$tmp/c2")" = "$ly" ] &&
	[ "$(ls "$tmp/conc/images/rootfs")" = "${ly#sha256:}.sqfs" ] && [ -z "$(ls -A "$tmp/conc/images/tmp")" ]; echo $?) \
	"two concurrent pulls of one image both succeed and leave one squashfs"

# --- what a killed pull leaves in tmp/ goes at the next open of the cache
# (a dead process's pull-/archive- entries; a live one's and resumable
# partial downloads stay)
mkdir -p "$tmp/kill/images/tmp"
sleep 300 &
live=$!
dead=$(sh -c 'echo $$')
: >"$tmp/kill/images/tmp/pull-$dead-aaaaaa"
mkdir -p "$tmp/kill/images/tmp/archive-$dead-bbbbbb/blobs"
: >"$tmp/kill/images/tmp/archive-$dead-bbbbbb/blobs/x"
: >"$tmp/kill/images/tmp/pull-$live-cccccc"
: >"$tmp/kill/images/tmp/partial-0123"
timeout 30 "$sporectl" image pull --root "$tmp/kill" -q "$reg/spore-test/large" >/dev/null 2>&1 &
kp=$!
sleep 0.5
kill -KILL $kp 2>/dev/null
wait $kp 2>/dev/null
# The killed pull's image worker dies of its parent's death, but not at
# once on a loaded host: a temp file of a process still alive stays, by
# design. Wait (at most 10 s) until the pids its temp names hold are gone.
for _ in $(seq 100); do
	alive=
	for f in "$tmp"/kill/images/tmp/pull-*; do
		p=${f##*/pull-} p=${p%%-*}
		[ "$p" = "$live" ] || ! kill -0 "$p" 2>/dev/null || alive=$p
	done
	[ -z "$alive" ] && break
	sleep 0.1
done
"$sporectl" image list --root "$tmp/kill" >/dev/null 2>&1
left=$(ls "$tmp/kill/images/tmp" | grep -v '^partial-' | tr '\n' ' ')
ok $([ "$left" = "pull-$live-cccccc " ] && [ -e "$tmp/kill/images/tmp/partial-0123" ]; echo $?) \
	"a killed pull's temp files go at the next open; a live pull's and partial downloads stay (left: $left)"
kill $live 2>/dev/null
wait $live 2>/dev/null

# --- rm and prune
blobs_before=$(ls "$cache/images/blobs/sha256" | wc -l)
(cd "$tmp" && "$sporectl" image rm --root "$cache" "$reg/spore-test/layered" oci:layout:v1)
rc=$?
ok $([ $rc = 0 ] && ! sc list -q | grep -q layered && [ ! -e "$cache/images/rootfs/${ly#sha256:}.sqfs" ]; echo $?) \
	"rm forgets the image and deletes its squashfs"
ok $([ -e "$sqfs" ]; echo $?) "rm keeps other images' squashfs"
sc rm "$reg/spore-test/layered" 2>"$tmp/err"
ok $([ $? = 1 ] && grep -q 'no such image' "$tmp/err"; echo $?) "rm of an unknown image: $(cat "$tmp/err")"
sc prune >"$tmp/out"
ok $([ "$(ls "$cache/images/blobs/sha256" | wc -l)" -lt "$blobs_before" ] && grep -q 'removed' "$tmp/out"; echo $?) \
	"prune deletes the blobs nothing needs ($(cat "$tmp/out"))"
sc pull "$reg/spore-test/busybox" >"$tmp/out" 2>"$tmp/err"
ok $([ "$(tail -n 1 "$tmp/out")" = "$bb" ] && grep -q 'up to date' "$tmp/err" && [ "$(stat -c %i "$sqfs")" = "$ino" ]; echo $?) \
	"images still referenced survive prune"
echo "1..$n"
