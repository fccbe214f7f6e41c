#!/bin/bash
# The first command a new user runs: sets everything up, boots the embedded
# Xen sandbox and runs spore's main job in it: a shell in a busybox container
# launched attached in its own PV guest.
set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

case ${1:-} in
-h | --help)
	cat <<USAGE
Usage: $spore_prog

Installs what spore needs (scripts/setup.sh), boots Xen 4.17 with a Debian
dom0 under QEMU and, inside it, runs spore's main job. Exit the dom0 shell
with 'exit' or Ctrl-D.
USAGE
	exit 0 ;;
esac

"$SPORE_ROOT_DIR/scripts/setup.sh"
"$SPORE_ROOT_DIR/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"
cat >&2 <<'MSG'
quickstart: booting Xen 4.17 + dom0 under QEMU, then
quickstart:   sporectl launch --attach -t -i 10.0.2.2:5000/spore-test/busybox:latest /bin/sh
quickstart: (a shell in a container in its own PV guest; 'exit' ends it and powers off;
quickstart:  Ctrl+] detaches from the container.)
MSG
exec "$SPORE_ROOT_DIR/scripts/xen-sandbox.sh" --console -- \
	sporectl launch --attach -t -i --insecure-registry 10.0.2.2:5000 \
	10.0.2.2:5000/spore-test/busybox:latest /bin/sh
