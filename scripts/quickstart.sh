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
dom0 under QEMU and, inside it, runs spore's main job: a shell in a busybox
container in its own PV guest. When the container ends (or Ctrl+] detaches
from it) you are in a dom0 shell with spore's commands to try; 'exit' there
powers the sandbox off.
USAGE
	exit 0 ;;
esac

"$SPORE_ROOT_DIR/scripts/setup.sh"
"$SPORE_ROOT_DIR/scripts/test-registry.sh" start >/dev/null || die "the test registry did not start"
cat >&2 <<'MSG'
quickstart: booting Xen 4.17 + dom0 under QEMU, then
quickstart:   sporectl launch --attach -t -i --name demo 10.0.2.2:5000/spore-test/busybox:latest /bin/sh
quickstart: (a shell in a container in its own PV guest; 'exit' ends it, Ctrl+] detaches
quickstart:  from it; either way you land in dom0's shell, where 'exit' powers off.)
MSG
# In dom0: the container first, then a shell that says what to try next (the
# image is cached by then, so later launches need no registry option).
# shellcheck disable=SC2016 # expanded in dom0
dom0_job='
IMG=10.0.2.2:5000/spore-test/busybox:latest; export IMG
sporectl launch --attach -t -i --name demo --insecure-registry 10.0.2.2:5000 "$IMG" /bin/sh
cat <<HINTS

quickstart: you are in the sandbox'"'"'s dom0, as root. Try:
  sporectl list -a                      guests, the container you left among them
  sporectl console demo                 back into it if it still runs (Ctrl+] detaches)
  sporectl launch -d --name web \$IMG httpd -f -v -p 80
                                        a server in the background
  sporectl logs -f web                  its console output, followed (Ctrl+C stops)
  sporectl stats --no-stream            CPU, memory and I/O of running guests
  sporectl inspect -f "{{.ipv4}}" web   one field of a guest, docker-style
  sporectl destroy web                  stop it and free everything it held
  xl list                               the same guests as Xen sees them
  sporectl --help                       every command (COMMAND --help: its options)
exit powers the sandbox off.
HINTS
exec sh -l'
# A day: an interactive session is not a test run.
exec "$SPORE_ROOT_DIR/scripts/xen-sandbox.sh" --console --timeout 86400 -- sh -c "$dom0_job"
