#!/bin/bash
# An image's VOLUMEs get anonymous volumes, as docker's (issue 15): each
# declared path that no -v or --tmpfs mounts gets a fresh ext4 volume
# (64 hex digits, `volume ls` lists it); removed with --rm, and when the
# guest's record is removed (rm, destroy); kept with an exited guest's
# record. list --json and list show each guest's mounts.
. tests/e2e/lib.sh

need_launch "image volume tests" --repo spore-test/volume

vimg=$reg/spore-test/volume:latest
L() { timeout 600 sporectl launch --insecure-registry "$reg" "$@"; }
nvols() { sporectl volume ls -q 2>/dev/null | wc -l; }
rec() {
	local u
	for u in $(xenstore-list /spore/guests 2>/dev/null); do
		[ "$(xenstore-read "/spore/guests/$u/name" 2>/dev/null)" = "$1" ] &&
			xenstore-read "/spore/guests/$u/$2" 2>/dev/null
	done
}
cleanup() {
	sporectl destroy -t 0 e2e-anon-keep e2e-anon-det >/dev/null 2>&1
	sporectl volume rm -f "named-$$" >/dev/null 2>&1
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT
vols0=$(nvols)

# (a) --rm: two anonymous volumes, gone with the guest.
out=$(L --attach --rm "$vimg" /bin/sh -c \
	'grep " /data \| /var/cache/app " /proc/mounts; echo x >/data/f && echo wrote' 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check_eq "launch --rm of an image with VOLUME /data and /var/cache/app exits 0" "$rc" 0
check_match "/data is an ext4 volume, read-write" "$out" '^/dev/xvd[b-z] /data ext4 rw'
check_match "/var/cache/app too" "$out" '^/dev/xvd[b-z] /var/cache/app ext4 rw'
check_match "... writable" "$out" '^wrote$'
check_eq "--rm removed both anonymous volumes" "$(nvols)" "$vols0"

# (b) -v on a declared path replaces its anonymous volume.
out=$(L --attach --rm -v "named-$$:/data" "$vimg" /bin/sh -c 'grep -c " ext4 " /proc/mounts' 2>&1)
check_eq "-v named:/data: one anonymous volume (for /var/cache/app), two ext4 mounts" \
	"$(tr -d '\r' <<<"$out")" 2
check_eq "... and only the named volume is left" "$(nvols)" "$((vols0 + 1))"

# (c) No --rm: the record keeps them; rm removes them with it.
L --attach --name e2e-anon-keep "$vimg" true >/dev/null 2>&1
check_eq "an exited guest without --rm keeps its two anonymous volumes" "$(nvols)" "$((vols0 + 3))"
anon=$(rec e2e-anon-keep anonymous)
check_match "... its record lists them (anonymous)" "$anon" '^[0-9a-f]{64} [0-9a-f]{64}$'
check "rm removes the guest" sporectl rm e2e-anon-keep
check_eq "... and its anonymous volumes" "$(nvols)" "$((vols0 + 1))"

# (d) Detached: list shows the mounts; destroy removes the volumes.
L --name e2e-anon-det --tmpfs /run/t -v "$E2E_TMP:/host:ro" "$vimg" sleep 600 >/dev/null 2>&1
json=$(sporectl list --json 2>&1 | tr -d ' \n')
check_match "list --json shows the root's disk" "$json" \
	'"name":"e2e-anon-det",.*"mounts":\[\{"type":"root","source":"disk","destination":"/","read_only":false\}'
check_match "... the host path, read-only" "$json" \
	"\{\"type\":\"bind\",\"source\":\"$E2E_TMP\",\"destination\":\"/host\",\"read_only\":true\}"
check_match "... an anonymous volume" "$json" \
	'\{"type":"volume","source":"[0-9a-f]{64}","destination":"/data","read_only":false\}'
check_match "... the tmpfs" "$json" \
	'\{"type":"tmpfs","source":"tmpfs","destination":"/run/t","read_only":false\}'
check_match "list's MOUNTS column" "$(sporectl list 2>&1 | grep e2e-anon-det)" \
	"$E2E_TMP:/host:ro, [0-9a-f]{64}:/data, [0-9a-f]{64}:/var/cache/app, tmpfs:/run/t\$"
check "destroy it" sporectl destroy -t 0 e2e-anon-det
check_eq "... and its anonymous volumes are gone" "$(nvols)" "$((vols0 + 1))"
