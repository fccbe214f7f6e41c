#!/bin/bash
# A guest that never connects its devices: spore's kernel told not to start
# blkfront and netfront (initcall_blacklist), booted through launch's
# pipeline (`sporectl boot --disk --net`). Launching must not wait on the
# frontends: it returns within its bounds (console 10 s, vif 30 s), the
# frontends stay Initialising and the backends InitWait, and destroying the
# guest (which does not answer a shutdown request in time) leaves nothing.
. tests/e2e/lib.sh

need_launch "hostile no-devices" "${SPORE_BUILD:-build}/tests/guest-xs"

hostile_initrd "$E2E_TMP/nodev.cpio" <<'EOF'
echo "NODEV-INIT $(ls /sys/class/net | tr '\n' ' ')"
sleep 100000
EOF
truncate -s 4M "$E2E_TMP/disk.img"

before=$(leak_baseline)
echo "# before: $(dom0_usage)"
t0=$(now_ms)
uuid=$(timeout 120 sporectl boot "$kernel" --initrd "$E2E_TMP/nodev.cpio" --disk "$E2E_TMP/disk.img" \
	--net --name e2e-nodev --cmdline "console=hvc0 initcall_blacklist=xlblk_init,netif_init" \
	2>"$E2E_TMP/err")
rc=$?
ms=$((($(now_ms) - t0) ))
echo "# boot returned $rc after $ms ms (${uuid:-no uuid}): $(tr '\n' ' ' <"$E2E_TMP/err")"
check_eq "boot of a guest that never connects returns (exit 0, within its bounds)" "$rc" 0
[ "$ms" -lt 45000 ] && echo "ok - ... in less than 45 s ($ms ms)" ||
	echo "not ok - ... in less than 45 s ($ms ms)"
domid=$(guest_domid e2e-nodev)
if [ -n "$domid" ]; then
	sleep 5 # the guest had its chance
	fe_vbd=$(xenstore-read "/local/domain/$domid/device/vbd/51712/state" 2>/dev/null)
	fe_vif=$(xenstore-read "/local/domain/$domid/device/vif/0/state" 2>/dev/null)
	be_vbd=$(xenstore-read "/local/domain/0/backend/vbd/$domid/51712/state" 2>/dev/null)
	echo "# frontends: vbd $fe_vbd, vif $fe_vif; vbd backend $be_vbd"
	check_eq "its frontends never connected (Initialising)" "$fe_vbd $fe_vif" "1 1"
	check_match "list shows it running" "$(sporectl list)" 'e2e-nodev +.* Up '
	t0=$(now_ms)
	check "destroy (a 3 s grace) ends it" sporectl destroy -t 3 e2e-nodev
	echo "# destroy took $((($(now_ms) - t0) )) ms"
else
	echo "not ok - the guest is recorded"
fi
sporectl rm e2e-nodev >/dev/null 2>&1
check_no_leak "nothing of it is left" "$before"
echo "# after: $(dom0_usage)"
