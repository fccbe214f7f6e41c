#!/bin/bash
# The userspace netback's device layer (network/netback/xendev.c, issue 21)
# against the real hypervisor, dom0 playing the guest: grants from
# /dev/xen/gntalloc mapped and copied through /dev/xen/gntdev (a batch of
# 40 segments, one bad grant among them), an event channel bound, kicked
# both ways and unmasked through /dev/xen/evtchn, everything released.
. tests/e2e/lib.sh

build=$(sed -n 's/.*spore\.build=\([^ ]*\).*/\1/p' /proc/cmdline)
probe=/mnt/host/${build:-build}/tests/netback-probe

if [ -x "$probe" ]; then
	# The probe prints its own TAP lines.
	"$probe" 2>&1
else
	skip "netback device layer" "no $probe"
fi
