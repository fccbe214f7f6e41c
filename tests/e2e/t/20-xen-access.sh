#!/bin/bash
# The hypercall layer against the real hypervisor: version probe, domain
# create/list/destroy, bad domain ids.
. tests/e2e/lib.sh

build=$(sed -n 's/.*spore\.build=\([^ ]*\).*/\1/p' /proc/cmdline)
probe=/mnt/host/${build:-build}/tests/spore-xen-probe

info=$(sporectl xen-info 2>&1)
check_match "sporectl xen-info prints Xen 4.17" "$info" 'xen_version +: 4\.17'
check_match "it reports dom0's control_d capability" "$info" 'dom0_capabilities : control_d'
check_match "it uses domctl interface 0x15" "$info" 'domctl_interface +: 0x15'
check_match "it lists Domain-0 by name" "$info" '^ +0 Domain-0 '
check_match "it reports free memory" "$info" 'free_memory +: [0-9]+ MiB'

if [ -x "$probe" ]; then
	# The probe prints its own TAP lines.
	"$probe" domain-cycle 2>&1
	check "xl sees no leftover domain" sh -c '[ "$(xl list | wc -l)" -eq 2 ]'

	out=$("$probe" getinfo 4242 2>&1)
	rc=$?
	check_eq "a non-existent domid fails with one clear line (exit $rc)" \
		"$out" "spore-xen-probe: domain 4242 does not exist"
	out=$("$probe" getinfo 70000 2>&1)
	check_match "an out-of-range domid is refused" "$out" 'not a valid domain id'
else
	skip "domain create/destroy through the hypercall layer" "no $probe"
fi
