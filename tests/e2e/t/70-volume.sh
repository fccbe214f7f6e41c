#!/bin/bash
# Managed volumes in dom0 (issue 15, phase A: no guest mounts one yet):
# `sporectl volume create` works there (mkfs.ext4 is in dom0's initramfs),
# the file is sparse and e2fsck-clean, and "in use" comes from the guest
# records in the real xenstore: a volume listed by a guest that has not
# exited is refused by rm (one line naming the guest) and kept by prune;
# once the guest's owner dies and the record is reaped, rm removes it; an
# exited guest holds nothing; with xenstored unreachable nothing is removed.
# The records are written by hand (as launch -v will write them) with a
# `sleep` as the owner, so that the reaper keeps them until it ends.
. tests/e2e/lib.sh

mkfs=$(command -v mkfs.ext4 || ls /usr/sbin/mkfs.ext4 2>/dev/null)
e2fsck=$(command -v e2fsck || ls /usr/sbin/e2fsck 2>/dev/null)
if [ -z "$mkfs" ]; then
	echo "not ok - dom0 has mkfs.ext4 (scripts/lib/sandbox.sh copies it into the initramfs)"
	exit 0
fi
echo "ok - dom0 has mkfs.ext4 ($mkfs)"

vol=e2e-vol-$$ free=e2e-free-$$
owner= uuid= uuid2=
cleanup() {
	[ -n "$owner" ] && kill "$owner" 2>/dev/null
	for u in $uuid $uuid2; do xenstore-rm "/spore/guests/$u" 2>/dev/null; done
	sporectl volume rm -f "$vol" "$free" >/dev/null 2>&1
	rm -rf "$E2E_TMP"
}
trap cleanup EXIT

start=${EPOCHREALTIME/./} # bash: busybox date has no %N
out=$(sporectl volume create "$vol" 2>&1)
rc=$?
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
check_eq "volume create works in dom0 (${ms} ms), printing the name" "$rc:$out" "0:$vol"
file=/var/lib/spore/volumes/$vol/disk.ext4
check_eq "... a 1 GiB file in the default store" "$(stat -c %s "$file" 2>&1)" 1073741824
kib=$(du -k "$file" 2>/dev/null | cut -f1)
check_match "... sparse ($kib KiB allocated)" "$kib" '^[0-9]{1,4}$'
if [ -n "$e2fsck" ]; then
	check "... e2fsck -fn finds it clean" "$e2fsck" -fn "$file"
else
	echo "not ok - dom0 has e2fsck"
fi
check_match "volume ls lists it" "$(sporectl volume ls 2>&1)" "^$vol +ext4 +1 GiB "

# A guest record that lists the volume, owned by a live process.
sleep 600 &
owner=$!
uuid=$(cat /proc/sys/kernel/random/uuid)
rec=/spore/guests/$uuid
xenstore-write "$rec/name" e2e-vol-user "$rec/state" running \
	"$rec/owner-pid" "$owner" "$rec/created" "$(date +%s)" "$rec/volumes" "other $vol:ro"
out=$(sporectl volume rm "$vol" 2>&1)
rc=$?
check_eq "rm of a volume a running guest lists: exit 1, one line naming the guest" "$rc:$out" \
	"1:sporectl: volume rm: $vol: in use by guest e2e-vol-user"
check "... and the volume is still there" test -f "$file"
out=$(sporectl volume prune -f 2>&1)
check_fails "prune keeps it" grep -qx "$vol" <<<"$out"
check "... (still there)" test -f "$file"
out=$(XENSTORED_PATH=/nonexistent/socket sporectl volume rm "$vol" 2>&1)
rc=$?
check_match "with xenstored unreachable, rm refuses: exit 1, saying why" "$rc:$out" \
	'^1:sporectl: volume rm: finding the guests that use volumes: cannot connect to xenstored at /nonexistent/socket'
check_eq "... in one line" "$(wc -l <<<"$out")" 1
check "... and removes nothing" test -f "$file"

# The owner dies: its record is reaped (by the reaper, or by rm's own pass)
# and the volume is free.
kill "$owner"
wait "$owner" 2>/dev/null
owner=
out=$(sporectl volume rm "$vol" 2>&1)
rc=$?
check_eq "once the guest's owner is gone and its record reaped, rm removes it" "$rc:$out" "0:$vol"
check_fails "... the file is gone" test -e "/var/lib/spore/volumes/$vol"

# An exited guest that lists a volume holds nothing.
sporectl volume create --size 64m "$free" >/dev/null 2>&1
uuid2=$(cat /proc/sys/kernel/random/uuid)
rec=/spore/guests/$uuid2
xenstore-write "$rec/name" e2e-vol-done "$rec/state" exited \
	"$rec/created" "$(date +%s)" "$rec/volumes" "$free"
out=$(sporectl volume rm "$free" 2>&1)
check_eq "an exited guest's volumes are free: rm removes it" "$?:$out" "0:$free"
