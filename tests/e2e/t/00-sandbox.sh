#!/bin/bash
# The sandbox gives a working Xen dom0: what every other test relies on.
. tests/e2e/lib.sh

check_eq "dom0 has the control_d capability" "$(cat /proc/xen/capabilities)" control_d
check "privcmd, evtchn, gntdev and xenbus devices exist" \
	test -c /dev/xen/privcmd -a -c /dev/xen/evtchn -a -c /dev/xen/gntdev -a -c /dev/xen/xenbus
check_eq "xenstored answers: dom0 is named Domain-0" \
	"$(xenstore-read /local/domain/0/name 2>&1)" Domain-0
check "xenstore write/read/rm round-trip" sh -c '
	xenstore-write /spore-e2e/k "v 1" &&
	[ "$(xenstore-read /spore-e2e/k)" = "v 1" ] &&
	xenstore-rm /spore-e2e && ! xenstore-exists /spore-e2e'
check "xenconsoled runs" pidof xenconsoled
check_match "the hypervisor is Xen 4.17" "$(xl info 2>/dev/null | grep -E '^xen_(major|minor)' | tr -s ' ' | tr '\n' ' ')" \
	'xen_major : 4 xen_minor : 17'
check "xl lists Domain-0" sh -c 'xl list | grep -q "^Domain-0 "'
check "the host share is writable" sh -c '
	f=/mnt/host/.cache/e2e-share-$$ && echo hello >"$f" && [ "$(cat "$f")" = hello ] && rm "$f"'
check "sporectl from this tree is on PATH" sporectl --help
check "sporenet from this tree is on PATH" sporenet --help
check "blkback, netback and loop are loaded" sh -c '
	grep -q "^xen_blkback " /proc/modules && grep -q "^xen_netback " /proc/modules &&
	test -c /dev/loop-control'
