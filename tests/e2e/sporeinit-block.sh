#!/bin/sh
# libxl block hotplug script for the sporeinit test: the disk's target is
# already a (loop) block device, so all that blkback needs is its number.
# (Debian's /etc/xen/scripts/block times out in the sandbox's dom0.)
# libxl runs it as: SCRIPT add|remove, with XENBUS_PATH = the backend path.
case $1 in
add)
	dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
	# shellcheck disable=SC2046
	set -- $(stat -L -c '%t %T' "$dev") || exit 1
	xenstore-write "$XENBUS_PATH/physical-device" "$1:$2" \
		"$XENBUS_PATH/physical-device-path" "$dev" \
		"$XENBUS_PATH/hotplug-status" connected
	;;
remove)
	xenstore-write "$XENBUS_PATH/hotplug-status" disconnected 2>/dev/null
	exit 0
	;;
esac
