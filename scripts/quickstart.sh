#!/bin/bash
# The first command a new user runs: sets everything up, boots the embedded
# Xen sandbox and runs spore's main job in it. Until `sporectl launch`
# exists, it drops into the sandbox's dom0 shell with a message saying so.
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
"$SPORE_ROOT_DIR/scripts/test-registry.sh" start >/dev/null 2>&1 || true
if grep -q '"launch"' "$SPORE_ROOT_DIR/controller/sporectl.c" 2>/dev/null; then
	exec "$SPORE_ROOT_DIR/scripts/xen-sandbox.sh" -- \
		sporectl launch --attach --insecure-registry 10.0.2.2:5000/spore-test/busybox:latest \
		sh -c 'echo "Hello from a spore guest: $(uname -sr)"'
fi
echo "$spore_prog: 'sporectl launch' is not implemented yet; opening the sandbox's dom0 shell instead." >&2
echo "$spore_prog: try: xl info, xenstore-ls, sporectl --help" >&2
exec "$SPORE_ROOT_DIR/scripts/xen-sandbox.sh"
