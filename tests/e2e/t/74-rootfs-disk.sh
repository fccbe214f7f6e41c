#!/bin/bash
# A writable root that is not RAM (issue 15): by default the overlay's
# upper layer is an empty ext4 filesystem on a sparse, unnamed 10 GiB file
# (--rootfs-size), so a container with 256 MiB of memory writes 1 GiB into
# its root; --rootfs-size 0 keeps the old tmpfs (RAM: the same write fails
# with ENOSPC); nothing of the disk is left once the guest is gone. The
# cache root is on the host share here, not dom0's RAM, which the 1 GiB
# would fill.
. tests/e2e/lib.sh

need_launch "root disk tests"

export SPORE_ROOT=$PWD/.cache/e2e-rootfs-$$
L() { timeout 900 sporectl launch --insecure-registry "$reg" "$@"; }
domains() { xl list | awk 'NR > 1 && $1 != "Domain-0"' | wc -l; }
records() { xenstore-list /spore/guests 2>/dev/null | wc -l; }
loops() { losetup -a 2>/dev/null | wc -l; }
cleanup() {
	rm -rf "$SPORE_ROOT" "$E2E_TMP"
}
trap cleanup EXIT
records0=$(records) loops0=$(loops)

# (a) The default: a 10 GiB disk under the root.
out=$(L --attach --rm -m 256 "$img" /bin/sh -c \
	'df -k / | tail -1; dd if=/dev/zero of=/big bs=1M count=1024 2>&1 | tail -1; sync
	 ls -l /big; rm /big' 2>&1)
rc=$?
out=$(tr -d '\r' <<<"$out")
check_eq "launch -m 256, writing 1 GiB into the root, exits 0" "$rc" 0
check_match "the root's size is the disk's, about 10 GiB (df -k /)" "$out" '^overlay +10[0-9]{6} '
check_match "... and the whole GiB was written" "$out" ' 1073741824 .*/big$'

# (b) --rootfs-size 64m and 0.
out=$(L --attach --rm --rootfs-size 64m "$img" /bin/sh -c 'df -k / | tail -1' 2>&1)
check_match "--rootfs-size 64m: a 64 MiB disk (df)" "$(tr -d '\r' <<<"$out")" '^overlay +[56][0-9]{4} '
out=$(L --attach --rm -m 256 --rootfs-size 0 "$img" /bin/sh -c \
	'df -k / | tail -1; dd if=/dev/zero of=/big bs=1M count=200 || echo write-failed' 2>&1)
out=$(tr -d '\r' <<<"$out")
check_match "--rootfs-size 0: the root is a tmpfs of half the guest's RAM" "$out" '^overlay +1[0-9]{5} '
check_match "... where 200 MiB do not fit (ENOSPC)" "$out" 'No space left on device'
check_match "... and the shell sees it fail" "$out" '^write-failed$'

# (c) --read-only takes no disk.
out=$(L --attach --rm --read-only "$img" /bin/sh -c 'df -k / | tail -1' 2>&1)
check_match "--read-only: no disk under the root (a small tmpfs)" "$(tr -d '\r' <<<"$out")" '^overlay +[0-9]{5,6} '

# (d) Refused in one line; nothing left.
out=$(L --attach --rm --rootfs-size 1k "$img" true 2>&1)
check_eq "--rootfs-size 1k: 125, one line" "$?:$out" \
	"125:sporectl: launch: --rootfs-size '1k' is not 0 or 16m..16t"
check_eq "no guest, record or loop device is left" "$(domains) $(records) $(loops)" \
	"0 $records0 $loops0"
check_eq "no file is left in the cache root but the cache's own" \
	"$(find "$SPORE_ROOT" -maxdepth 1 -type f | wc -l)" 0
