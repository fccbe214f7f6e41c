#!/bin/sh
# libxl hotplug script for the sporeinit test (Debian's block and vif
# scripts time out in the sandbox's dom0). libxl runs it as SCRIPT ACTION
# with XENBUS_PATH = the backend path, and vif = the interface for a vif.
#   vbd: the target is already a (loop) block device; blkback needs its number.
#   vif: bring the dom0 side up; netback waits for hotplug-status.
case $1 in
add | online)
	if [ -n "${vif:-}" ]; then
		ip link set "$vif" up || exit 1
	else
		dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
		# shellcheck disable=SC2046
		set -- $(stat -L -c '%t %T' "$dev") || exit 1
		xenstore-write "$XENBUS_PATH/physical-device" "$1:$2" \
			"$XENBUS_PATH/physical-device-path" "$dev" || exit 1
	fi
	xenstore-write "$XENBUS_PATH/hotplug-status" connected
	;;
*)
	xenstore-write "$XENBUS_PATH/hotplug-status" disconnected 2>/dev/null
	exit 0
	;;
esac
